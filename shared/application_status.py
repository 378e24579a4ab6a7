"""An application's status and the rule that moves it only forward.

Pure (no web framework, ORM or NATS): the applications service owns the status, scoring and
monitoring keep copies, and the events that move a copy (screening and withdrawal on the
applications stream, assignment, scores and decisions on scoring's) can arrive in any order
between two streams, retried or handled by another replica. A late event must not move it back.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum


class ApplicationStatus(StrEnum):
    draft = "draft"
    submitted = "submitted"
    eligible = "eligible"
    ineligible = "ineligible"
    under_review = "under_review"
    scored = "scored"
    awarded = "awarded"
    rejected = "rejected"
    waitlisted = "waitlisted"
    withdrawn = "withdrawn"


DECIDED = frozenset({ApplicationStatus.awarded, ApplicationStatus.rejected, ApplicationStatus.waitlisted})
# How far along an application is; a withdrawal is final.
PROGRESS: dict[ApplicationStatus, int] = {
    ApplicationStatus.draft: 0,
    ApplicationStatus.submitted: 1,
    ApplicationStatus.eligible: 2,
    ApplicationStatus.ineligible: 2,
    ApplicationStatus.under_review: 3,
    ApplicationStatus.scored: 4,
    ApplicationStatus.awarded: 5,
    ApplicationStatus.rejected: 5,
    ApplicationStatus.waitlisted: 5,
    ApplicationStatus.withdrawn: 6,
}


def _utc(moment: datetime | None) -> datetime | None:
    """A naive time is UTC (as SQLite returns what it stored)."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def moves_forward(
    current: ApplicationStatus,
    current_decided_at: datetime | None,
    incoming: ApplicationStatus,
    incoming_decided_at: datetime | None = None,
) -> bool:
    """Whether an event saying `incoming` applies to an application that is `current`. A
    withdrawal is final; a decision replaces an earlier decision only (a waitlisted application
    may be awarded later); a score replaces a score (a third reviewer after a divergence);
    otherwise only a later stage applies: a `scored` arriving after the decision changes nothing."""
    current_decided_at, incoming_decided_at = _utc(current_decided_at), _utc(incoming_decided_at)
    if current is ApplicationStatus.withdrawn:
        return False
    if current in DECIDED and incoming in DECIDED:
        if current_decided_at is None:
            return True
        return incoming_decided_at is not None and incoming_decided_at > current_decided_at
    if current is ApplicationStatus.scored and incoming is ApplicationStatus.scored:
        return True
    return PROGRESS[incoming] > PROGRESS[current]


def next_status(
    current: ApplicationStatus,
    current_decided_at: datetime | None,
    incoming: ApplicationStatus,
    incoming_decided_at: datetime | None = None,
) -> tuple[ApplicationStatus, datetime | None]:
    """(status, decided_at) of a copy after an event that says `incoming` (with its decision
    time): `incoming` when it moves forward, else unchanged."""
    current_decided_at, incoming_decided_at = _utc(current_decided_at), _utc(incoming_decided_at)
    if not moves_forward(current, current_decided_at, incoming, incoming_decided_at):
        return current, current_decided_at
    if incoming in DECIDED:
        return incoming, incoming_decided_at or current_decided_at
    return incoming, current_decided_at
