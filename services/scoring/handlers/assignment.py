"""Locking and assigning reviewers.

Lock order, everywhere: the assignment lock (whatever may assign reviewers, add an officer or
move officers' counters), or the call's row (awards); then the application's row, its reviews,
and officers' counters in officer-id order; so that concurrent requests and event handlers (two
replicas, two durable consumers) wait for each other and never deadlock. Taking the lock first
matters in a fetched batch too (one transaction for several events, shared/inbox.py): a
withdrawal that locked its application and officers before the lock, followed by a screening
that waits for it, deadlocked with an officer's arrival holding the lock and waiting for that
application (PostgreSQL aborted one after a second and it was retried: the work was late).

The assignment lock closes a race between the two consumers: without it an application
screened while an officer is being added could read the officers before the new one commits
and be left waiting, after the new officer's transaction looked for waiting work. It also
makes workload balancing exact. On PostgreSQL it is a transaction-level advisory lock;
SQLite has a single writer, which serialises these transactions already.
"""

from __future__ import annotations

import uuid

from sqlalchemy import text, update
from sqlmodel import Session, col, select

from services.scoring.domain.assignment import (
    AssignmentReason,
    ReviewStatus,
    Workload,
    choose_reviewers,
)
from services.scoring.models import Application, Officer, Review
from shared.application_status import ApplicationStatus
from shared.clock import now
from shared.events.scoring import ApplicationAssignedV1
from shared.tables import locked
from shared.uow import UnitOfWork

ASSIGNMENT_LOCK = 0x5C0_2164  # pg_advisory_xact_lock key of scoring's assignments


def lock_assignments(session: Session) -> None:
    """Taken first by every transaction that may assign reviewers, add an officer or move
    officers' counters."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ASSIGNMENT_LOCK})


def locked_application(session: Session, application_id: uuid.UUID) -> Application | None:
    return locked(session, Application, application_id)


def count_open(session: Session, officer_ids: list[uuid.UUID], step: int, assigned: int = 0) -> None:
    """Moves officers' open-review counters by `step` (and `assigned_total` by `assigned`), in
    officer-id order so that concurrent transactions take the row locks in the same order."""
    for officer_id in sorted(officer_ids, key=lambda i: i.hex):
        session.execute(
            update(Officer)
            .where(col(Officer.id) == officer_id)
            .values(
                open_reviews=col(Officer.open_reviews) + step, assigned_total=col(Officer.assigned_total) + assigned
            )
        )


def assign_reviewers(
    uow: UnitOfWork, application: Application, reason: AssignmentReason, only: list[Officer] | None = None
) -> int:
    """Fills the application's open reviewer places (`unassigned`) with the least-busy active
    officers not on it yet (or only from `only`); returns how many were assigned. Places no
    officer can take stay open until an officer arrives."""
    session = uow.session
    if application.unassigned <= 0:
        return 0
    officers = only if only is not None else list(session.exec(select(Officer).where(col(Officer.active))).all())
    reviews = list(session.exec(select(Review).where(Review.application_id == application.id)).all())
    chosen = choose_reviewers(
        (Workload(o.id, o.open_reviews, o.assigned_total) for o in officers if o.active),
        (r.officer_id for r in reviews),
        application.unassigned,
    )
    if not chosen:
        return 0
    moment = now()
    added = [
        Review(
            application_id=application.id,
            call_id=application.call_id,
            officer_id=officer_id,
            reason=reason.value,
            assigned_at=moment,
            updated_at=moment,
        )
        for officer_id in chosen
    ]
    session.add_all(added)
    count_open(session, chosen, +1, assigned=1)
    before = application.status
    application.unassigned -= len(chosen)
    if application.status == ApplicationStatus.eligible.value:
        application.status = ApplicationStatus.under_review.value
    application.updated_at = moment
    session.add(application)
    reviewers = sum(1 for r in [*reviews, *added] if r.status in (ReviewStatus.pending, ReviewStatus.submitted))
    uow.emit(
        ApplicationAssignedV1(
            application_id=application.id,
            call_id=application.call_id,
            reviewers=reviewers,
            required=application.reviewers_required,
            assigned_at=moment,
        ),
        application.id,
    )
    uow.audit(
        "application.assigned",
        "application",
        application.id,
        before={"status": before},
        after={
            "status": application.status,
            "reviewers": reviewers,
            "reason": reason.value,
            "waiting_for_officers": application.unassigned,
        },
    )
    for review in added:
        uow.audit(
            "review.assigned",
            "review",
            review.id,
            after={
                "status": "pending",
                "application_id": str(application.id),
                "officer_id": str(review.officer_id),
                "reason": reason.value,
            },
        )
    return len(chosen)
