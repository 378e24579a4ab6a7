"""Separation of duties on the money path: no single person moves money to an account they chose.

- Payout details recorded by staff are *pending* until a second person confirms them: the
  grantee (the beneficiary, who knows their own account) or an officer who did not record them.
  Details the grantee records themself are confirmed as they are recorded. A tranche is neither
  requested nor approved for pending details (`payee_unconfirmed`).
- The officer who requests a tranche is not the person who verified its milestone
  (`same_person_verified_milestone`) nor one who resolved a hold on its grant
  (`same_person_resolved_hold`). Who did it is known from monitoring's events; an event from
  before they said so leaves it unknown, and nothing is refused on that ground.
- The finance user who approves is not the requester (`ensure_approvable` in `states`).

Pure rules: the handlers load the facts and call these.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum

from shared.errors import Conflict, Forbidden


class RecordedAs(StrEnum):
    grantee = "grantee"
    staff = "staff"


class PayeeStatus(StrEnum):
    pending = "pending"
    confirmed = "confirmed"


def payee_status(confirmed_at: datetime | None) -> PayeeStatus:
    return PayeeStatus.confirmed if confirmed_at is not None else PayeeStatus.pending


def ensure_payee_confirmed(confirmed_at: datetime | None) -> None:
    if confirmed_at is None:
        raise Conflict(
            "the payout details were recorded by staff and are not confirmed yet: the grantee or "
            "another officer confirms them with POST /api/v1/grants/{id}/payee/confirm",
            code="payee_unconfirmed",
        )


def ensure_confirmable(
    *,
    pending_id: uuid.UUID | None,
    named_id: uuid.UUID,
    recorded_by: uuid.UUID | None,
    confirmer: uuid.UUID,
) -> None:
    """The grantee, or an officer who did not record them, confirms the latest pending details;
    the caller names the details they saw, so that a change in between is never confirmed."""
    if pending_id is None:
        raise Conflict("the grant has no payout details waiting for confirmation", code="payee_not_pending")
    if named_id != pending_id:
        raise Conflict(
            "the payout details changed since they were shown: look at them again before confirming",
            code="payee_changed",
        )
    if recorded_by == confirmer:
        raise Forbidden("four eyes: the person who recorded the payout details cannot confirm them", code="same_person")


def ensure_separate_from_monitoring(
    requester: uuid.UUID, milestone_verified_by: uuid.UUID | None, holds_resolved_by: Iterable[uuid.UUID | None]
) -> None:
    if milestone_verified_by is not None and milestone_verified_by == requester:
        raise Forbidden(
            "four eyes: the person who verified this tranche's milestone cannot request it",
            code="same_person_verified_milestone",
        )
    if any(resolver is not None and resolver == requester for resolver in holds_resolved_by):
        raise Forbidden(
            "four eyes: the person who resolved a hold on this grant cannot request its tranches",
            code="same_person_resolved_hold",
        )
