"""Eligibility screening: each rule of the call checked, each failure a reason code.

Two kinds of finding: `reasons` break a rule of the call on the application's own facts (the
applicant may see them); `flags` concern other people's data (another application sharing an
identifier, an earlier award, a similar owner name) and are shown to staff only. A flag never
rejects on its own: the `HOLDING` ones stop the application until an intake officer resolves it
and a second person approves (`resolution`); the others are notes for staff.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from shared.events.calls import CallSpec


@dataclass(frozen=True)
class Matches:
    """What an earlier application shares with this one (found by the handler)."""

    national_id_in_call: bool = False
    phone_in_call: bool = False
    registration_in_call: bool = False
    prior_beneficiary: bool = False
    similar_name: bool = False


# Codes about other people's data: staff only, never in the owner's view.
PRIVATE = frozenset(
    {
        "duplicate_national_id",
        "duplicate_phone",
        "duplicate_registration",
        "prior_beneficiary",
        "possible_duplicate_name",
    }
)
# What the owner's view says instead when an application was confirmed ineligible for a flag.
NOT_VERIFIED = "not_verified"


@dataclass(frozen=True)
class Screening:
    eligible: bool
    reasons: list[str]
    flags: list[str] = field(default_factory=list)
    holding: list[str] = field(default_factory=list)  # flags that wait for an intake officer

    @property
    def held(self) -> bool:
        return bool(self.holding) and not self.reasons

    @property
    def outcome(self) -> str:
        if self.reasons:
            return "ineligible"  # the call's rules decide; flags are kept for staff
        return "flagged" if self.held else "eligible"


def screen(sections: dict[str, dict[str, Any]], call: CallSpec, matches: Matches, year: int) -> Screening:
    business, plan = sections["business"], sections["plan"]
    rules = call.eligibility
    reasons: list[str] = []
    if rules.governorates and business["governorate"] not in rules.governorates:
        reasons.append("governorate_not_eligible")
    if rules.sectors and business["sector"] not in rules.sectors:
        reasons.append("sector_not_eligible")
    if rules.min_years_operating is not None and year - business["founded_year"] < rules.min_years_operating:
        reasons.append("too_few_years_operating")
    employees = business["employees_female"] + business["employees_male"]
    too_few = rules.min_employees is not None and employees < rules.min_employees
    too_many = rules.max_employees is not None and employees > rules.max_employees
    if too_few or too_many:
        reasons.append("employees_out_of_range")
    requested, co_contribution = Decimal(plan["requested_amount"]), Decimal(plan["co_contribution"])
    if not call.grant_min <= requested <= call.grant_max:
        reasons.append("amount_out_of_range")
    if rules.min_co_contribution_percent is not None and (
        co_contribution * 100 < rules.min_co_contribution_percent * (requested + co_contribution)
    ):
        reasons.append("co_contribution_too_low")  # a share of the whole project budget
    if plan["jobs_planned_female"] + plan["jobs_planned_male"] < rules.min_jobs_planned:
        reasons.append("too_few_jobs_planned")
    if rules.require_registration and not business.get("registration_number"):
        reasons.append("not_registered")
    holding = [
        code
        for code, hit in (
            ("duplicate_national_id", matches.national_id_in_call),
            ("duplicate_phone", matches.phone_in_call),  # families share phones: a question, not a no
            ("duplicate_registration", matches.registration_in_call),
            ("prior_beneficiary", matches.prior_beneficiary and rules.exclude_prior_beneficiaries),
        )
        if hit
    ]
    notes = [
        code
        for code, hit in (
            ("prior_beneficiary", matches.prior_beneficiary and not rules.exclude_prior_beneficiaries),
            ("possible_duplicate_name", matches.similar_name),
        )
        if hit
    ]
    held = bool(holding) and not reasons
    return Screening(eligible=not reasons and not held, reasons=reasons, flags=holding + notes, holding=holding)


def owner_view(screening: dict[str, Any]) -> dict[str, Any]:
    """What the applicant is told: their own rule failures, "being verified" while a flag is open,
    `not_verified` when staff confirmed one; never which other data matched."""
    state = screening.get("state", "eligible" if screening.get("eligible") else "ineligible")
    reasons = [r for r in screening.get("reasons", []) if r not in PRIVATE]
    if state == "flagged":
        return {"state": "being_verified", "eligible": None, "reasons": reasons, "flags": []}
    if state == "ineligible" and not reasons:
        reasons = [NOT_VERIFIED]
    return {
        "state": state,
        "eligible": screening.get("eligible"),
        "reasons": reasons,
        "flags": [],
        "screened_at": screening.get("screened_at"),
    }
