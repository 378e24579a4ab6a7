"""Grants and tranches: their states and which moves the rules allow.

Grant: `active` ⇄ `on_hold` (a monitoring flag with `hold_payments`, until every such flag is
resolved) → `completed` (every tranche paid); `cancelled` is kept for grants ended by hand.

Tranche: `planned` → `eligible` (its milestone verified) → `requested` (an officer) →
`approved` → `instructed` (a finance user who is not the requester: one transaction creates the
payment instruction, so `approved` is passed through) → `paid` | `failed`; a failed tranche
may be requested again and then gets a new instruction. A tranche is never paid twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from enum import StrEnum

from shared.errors import Conflict, Forbidden


class GrantStatus(StrEnum):
    active = "active"
    on_hold = "on_hold"
    completed = "completed"
    cancelled = "cancelled"


class TrancheStatus(StrEnum):
    planned = "planned"
    eligible = "eligible"
    requested = "requested"
    approved = "approved"
    instructed = "instructed"
    paid = "paid"
    failed = "failed"


REQUESTABLE = frozenset({TrancheStatus.eligible, TrancheStatus.failed})
PAYABLE_GRANT = frozenset({GrantStatus.active, GrantStatus.on_hold})


def after_milestone(status: TrancheStatus) -> TrancheStatus:
    """A verified milestone makes a planned tranche eligible; later states stay as they are."""
    return TrancheStatus.eligible if status is TrancheStatus.planned else status


def after_holds(status: GrantStatus, holding: bool) -> GrantStatus:
    """`on_hold` while any unresolved flag holds payments; completed and cancelled stay."""
    if status not in PAYABLE_GRANT:
        return status
    return GrantStatus.on_hold if holding else GrantStatus.active


def _ensure_grant_pays(grant: GrantStatus) -> None:
    if grant is GrantStatus.on_hold:
        raise Conflict("the grant is on hold: a monitoring flag holds its payments until it is resolved")
    if grant is not GrantStatus.active:
        raise Conflict(f"the grant is {grant.value}: no more payments are made from it")


def ensure_requestable(grant: GrantStatus, tranche: TrancheStatus, has_payee: bool) -> None:
    _ensure_grant_pays(grant)
    if tranche not in REQUESTABLE:
        raise Conflict(
            f"only an eligible tranche (its milestone verified) or one whose payment failed can be "
            f"requested; this one is {tranche.value}"
        )
    if not has_payee:
        raise Conflict("the grant has no payout details yet: record them with PUT /api/v1/grants/{id}/payee")


def ensure_approvable(
    grant: GrantStatus,
    tranche: TrancheStatus,
    requested_by: uuid.UUID | None,
    approver: uuid.UUID,
    payee_unchanged: bool,
) -> None:
    if tranche is not TrancheStatus.requested:
        raise Conflict(f"only a requested tranche can be approved; this one is {tranche.value}")
    if requested_by == approver:
        raise Forbidden("four eyes: the person who requested this tranche cannot approve it")
    _ensure_grant_pays(grant)
    if not payee_unchanged:
        raise Conflict("the payout details changed after the request: an officer must request the tranche again")


def all_paid(statuses: Iterable[TrancheStatus]) -> bool:
    found = list(statuses)
    return bool(found) and all(s is TrancheStatus.paid for s in found)
