"""What the scoring use cases share: locking, assigning reviewers, settling a result.

Lock order, everywhere: the assignment lock (whatever may assign reviewers or add an officer),
or the call's row (awards); then the application's row, its reviews, and officers' counters in
officer-id order; so that concurrent requests and event handlers (two replicas, two durable
consumers) wait for each other and never deadlock.

The assignment lock closes a race between the two consumers: without it an application
screened while an officer is being added could read the officers before the new one commits
and be left waiting, after the new officer's transaction looked for waiting work. It also
makes workload balancing exact. On PostgreSQL it is a transaction-level advisory lock;
SQLite has a single writer, which serialises these transactions already.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import text, update
from sqlmodel import Session, col, select

from services.scoring.domain import ranking, scores
from services.scoring.domain.assignment import (
    ApplicationStatus,
    AssignmentReason,
    ReviewStatus,
    Workload,
    choose_reviewers,
)
from services.scoring.models import Application, Call, Officer, Review
from shared.events.applications import ApplicationScoredV1
from shared.events.scoring import ApplicationAssignedV1
from shared.uow import UnitOfWork

ASSIGNMENT_LOCK = 0x5C0_2164  # pg_advisory_xact_lock key of scoring's assignments


def now() -> datetime:
    return datetime.now(UTC)


def lock_assignments(session: Session) -> None:
    """Taken first by every transaction that may assign reviewers or add an officer."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ASSIGNMENT_LOCK})


def locked_application(session: Session, application_id: uuid.UUID) -> Application | None:
    return session.get(Application, application_id, with_for_update=True, populate_existing=True)


def call_of(session: Session, application: Application) -> Call:
    call = session.get(Call, application.call_id)
    assert call is not None  # an application is only kept for a known call
    return call


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


def settle(uow: UnitOfWork, application: Application, call: Call) -> None:
    """After a review is submitted: nothing while reviews are outstanding; one more reviewer
    when the reviews diverge (once); else the result, ranked and published."""
    reviews = list(uow.session.exec(select(Review).where(Review.application_id == application.id)).all())
    submitted = [r for r in reviews if r.status == ReviewStatus.submitted.value]
    outstanding = application.unassigned + sum(1 for r in reviews if r.status == ReviewStatus.pending.value)
    rubric = scores.rubric_of(call.rubric)
    values = [scores.reviewer_score(rubric, r.scores) for r in submitted]
    result = scores.outcome(
        values, application.reviewers_required, outstanding, call.divergence_threshold, application.extra_assigned
    )
    if isinstance(result, scores.NeedsAnotherReviewer):
        application.extra_assigned = application.diverged = True
        application.reviewers_required += 1
        application.unassigned += 1
        uow.audit(
            "application.diverged",
            "application",
            application.id,
            after={
                "status": application.status,
                "spread": str(scores.rounded(result.spread, 2)),
                "threshold": str(call.divergence_threshold),
            },
        )
        assign_reviewers(uow, application, AssignmentReason.divergence)
        uow.session.add(application)
    elif isinstance(result, scores.Result):
        _record_result(uow, application, rubric, submitted, result)


def _record_result(
    uow: UnitOfWork,
    application: Application,
    rubric: list[scores.Criterion],
    submitted: list[Review],
    result: scores.Result,
) -> None:
    moment = now()
    before = application.status
    application.status = ApplicationStatus.scored.value
    application.score, application.score_shown = result.stored, result.shown
    application.reviewers, application.diverged = result.reviewers, result.diverged
    application.criteria = {k: str(v) for k, v in scores.criteria_means(rubric, [r.scores for r in submitted]).items()}
    application.scored_at = application.updated_at = moment
    application.rank_key = ranking.rank_key(
        result.stored, application.jobs_planned, application.requested_amount, application.submitted_at, application.id
    )
    uow.session.add(application)
    uow.emit(
        ApplicationScoredV1(
            application_id=application.id,
            call_id=application.call_id,
            score=result.shown,
            criteria=application.criteria,
            reviewers=result.reviewers,
            diverged=result.diverged,
        ),
        application.id,
    )
    uow.audit(
        "application.scored",
        "application",
        application.id,
        before={"status": before},
        after={
            "status": application.status,
            "score": str(result.shown),
            "reviewers": result.reviewers,
            "diverged": result.diverged,
        },
    )
