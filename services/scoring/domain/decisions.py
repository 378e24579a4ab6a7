"""Committee decisions: which are allowed, at what amount, and why one is refused.

A batch is decided item by item (each in its own transaction): a refused item is reported
with its reason and the others are still applied. Reasons:

- `unknown_application`: no such application in this call;
- `not_scored`: still under review (or not eligible);
- `withdrawn`: the applicant withdrew it;
- `already_awarded`: an award is final (revoking one is not done here);
- `unchanged`: the application has this decision already;
- `amount_only_for_awards`: an amount was given with a reject or waitlist;
- `amount_above_requested`, `amount_out_of_range` (outside grant_min..grant_max),
  `amount_precision` (more decimal places than the call's currency has);
- `budget_exceeded`: the award does not fit in what is left of the call's budget.

A rejected or waitlisted application may be decided again (e.g. a waitlisted one awarded when
money is left); an award without an amount is made at the requested amount capped at grant_max.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from shared.application_status import DECIDED, ApplicationStatus
from shared.money import fits_exponent

Outcome = Literal["awarded", "rejected", "waitlisted"]


class Decision(StrEnum):
    award = "award"
    reject = "reject"
    waitlist = "waitlist"

    @property
    def outcome(self) -> ApplicationStatus:
        return ApplicationStatus(self.outcome_name)

    @property
    def outcome_name(self) -> Outcome:
        names: dict[Decision, Outcome] = {
            Decision.award: "awarded",
            Decision.reject: "rejected",
            Decision.waitlist: "waitlisted",
        }
        return names[self]


class Refused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class CallTerms:
    budget: Decimal
    awarded_total: Decimal
    grant_min: Decimal
    grant_max: Decimal
    currency_exponent: int

    @property
    def available(self) -> Decimal:
        return self.budget - self.awarded_total


def decide(
    status: ApplicationStatus, decision: Decision, amount: Decimal | None, requested: Decimal, terms: CallTerms
) -> Decimal | None:
    """The amount awarded (None for a reject or waitlist); `Refused` with the reason otherwise."""
    if status is ApplicationStatus.withdrawn:
        raise Refused("withdrawn")
    if status is ApplicationStatus.awarded:
        raise Refused("already_awarded")
    if status not in DECIDED and status is not ApplicationStatus.scored:
        raise Refused("not_scored")
    if status is decision.outcome:
        raise Refused("unchanged")
    if decision is not Decision.award:
        if amount is not None:
            raise Refused("amount_only_for_awards")
        return None
    granted = amount if amount is not None else min(requested, terms.grant_max)
    if not fits_exponent(granted, terms.currency_exponent):
        raise Refused("amount_precision")
    if granted > requested:
        raise Refused("amount_above_requested")
    if not terms.grant_min <= granted <= terms.grant_max:
        raise Refused("amount_out_of_range")
    if granted > terms.available:
        raise Refused("budget_exceeded")
    return granted
