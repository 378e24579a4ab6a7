"""Eligibility screening: each rule of the call checked, each failure a reason code."""

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


@dataclass(frozen=True)
class Screening:
    eligible: bool
    reasons: list[str]
    flags: list[str] = field(default_factory=list)


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
    reasons += [
        code
        for code, hit in (
            ("duplicate_national_id", matches.national_id_in_call),
            ("duplicate_phone", matches.phone_in_call),
            ("duplicate_registration", matches.registration_in_call),
        )
        if hit
    ]
    flags: list[str] = []
    if matches.prior_beneficiary:
        (reasons if rules.exclude_prior_beneficiaries else flags).append("prior_beneficiary")
    return Screening(eligible=not reasons, reasons=reasons, flags=flags)
