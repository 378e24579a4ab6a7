"""Use cases of reviews: an officer's queue, drafts, submission, recusal; recusals for the committee.

A review not assigned to the caller is 404, like one that does not exist.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select as select_columns
from sqlalchemy import tuple_
from sqlmodel import Session, col, select

from services.scoring.domain import scores
from services.scoring.domain.assignment import AssignmentReason, ReviewStatus, ensure_pending
from services.scoring.handlers.assignment import (
    assign_reviewers,
    count_open,
    lock_assignments,
    locked_application,
)
from services.scoring.handlers.review_outcome import settle
from services.scoring.models import Application, Call, Review
from services.scoring.models.api import (
    CriterionOut,
    RecusalOut,
    RecuseIn,
    ReviewDraftIn,
    ReviewItem,
    ReviewOut,
    ReviewStatusOut,
)
from shared.auth import Principal
from shared.clock import now
from shared.db import Database
from shared.errors import Invalid, NotFound
from shared.http import Page, PageParams, encode_cursor
from shared.uow import Actor, UnitOfWork

QUEUE_COLUMNS = (
    col(Review.id),
    col(Review.application_id),
    col(Review.call_id),
    col(Review.status),
    col(Review.assigned_at),
    col(Review.submitted_at),
    col(Application.reference),
    col(Application.facts),
)


def list_reviews(db: Database, principal: Principal, page: PageParams, status: str | None) -> Page[ReviewItem]:
    """The caller's reviews, oldest assignment first (keyset pages on the queue index)."""
    query = (
        select_columns(*QUEUE_COLUMNS)
        .join(Application, col(Application.id) == col(Review.application_id))
        .where(col(Review.officer_id) == principal.id)
        .order_by(col(Review.assigned_at), col(Review.id))
        .limit(page.limit + 1)
    )
    if status is not None:
        query = query.where(col(Review.status) == status)
    else:
        query = query.where(col(Review.status) != ReviewStatus.cancelled.value)
    if page.after is not None:
        at, review_id = _parse_position(page.after)
        query = query.where(tuple_(col(Review.assigned_at), col(Review.id)) > tuple_(at, review_id))
    with db.engine.connect() as connection:  # plain rows: a queue page is read often
        rows = connection.execute(query).all()
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    items = [
        ReviewItem(
            id=r[0],
            application_id=r[1],
            call_id=r[2],
            status=r[3],
            assigned_at=r[4],
            submitted_at=r[5],
            reference=r[6],
            application=r[7],
        )
        for r in rows
    ]
    last = rows[-1] if rows else None
    return Page[ReviewItem](
        items=items,
        next_cursor=encode_cursor(f"{last[4].isoformat()}|{last[0]}") if more and last is not None else None,
    )


def _parse_position(text: str) -> tuple[datetime, uuid.UUID]:
    try:
        at, review_id = text.split("|", 1)
        return datetime.fromisoformat(at), uuid.UUID(review_id)
    except ValueError:
        raise Invalid.field(["query", "cursor"], "not a cursor returned by this list") from None


def get_review(db: Database, principal: Principal, review_id: uuid.UUID) -> ReviewOut:
    with Session(db.engine) as session:
        review = _own(session, principal, review_id)
        return _review_out(session, review)


def save_draft(db: Database, principal: Principal, review_id: uuid.UUID, body: ReviewDraftIn) -> ReviewOut:
    """Scores given are merged into the draft; each must be a criterion's and within its range."""
    with UnitOfWork(db, Actor.of(principal)) as uow:
        review = _own(uow.session, principal, review_id, lock=True)
        ensure_pending(ReviewStatus(review.status), "changed")
        application = uow.session.get(Application, review.application_id)
        assert application is not None
        _merge(review, body, scores.rubric_of(call_of(uow.session, application).rubric), complete=False)
        uow.audit(
            "review.saved", "review", review.id, after={"status": review.status, "criteria": sorted(review.scores)}
        )
        uow.commit()
        return _review_out(uow.session, review)


def submit_review(
    db: Database, principal: Principal, review_id: uuid.UUID, body: ReviewDraftIn | None
) -> ReviewStatusOut:
    """Final: every criterion scored within 0..max_score (422 naming each one wrong), else nothing changes."""
    with UnitOfWork(db, Actor.of(principal)) as uow:
        application, review = _lock_for_change(uow.session, principal, review_id)
        ensure_pending(ReviewStatus(review.status), "submitted")
        call = call_of(uow.session, application)
        rubric = scores.rubric_of(call.rubric)
        _merge(review, body or ReviewDraftIn(), rubric, complete=True)
        moment = now()
        review.weighted_score = scores.rounded(scores.reviewer_score(rubric, review.scores), scores.STORED_PLACES)
        review.status, review.submitted_at, review.updated_at = ReviewStatus.submitted.value, moment, moment
        uow.session.add(review)
        count_open(uow.session, [review.officer_id], -1)
        uow.audit(
            "review.submitted",
            "review",
            review.id,
            before={"status": "pending"},
            after={
                "status": review.status,
                "application_id": str(application.id),
                "score": str(scores.rounded(scores.reviewer_score(rubric, review.scores), 2)),
            },
        )
        uow.session.flush()
        settle(uow, application, call)
        uow.commit()
        return ReviewStatusOut(id=review.id, status=review.status)


def recuse(db: Database, principal: Principal, review_id: uuid.UUID, body: RecuseIn) -> ReviewStatusOut:
    """A declared conflict of interest: the review is kept (with the reason) and another officer,
    one not on this application yet, takes the place; if none is free, the first officer to
    arrive does."""
    with UnitOfWork(db, Actor.of(principal)) as uow:
        application, review = _lock_for_change(uow.session, principal, review_id)
        ensure_pending(ReviewStatus(review.status), "recused")
        moment = now()
        review.status, review.recusal_reason = ReviewStatus.recused.value, body.reason
        review.recused_at = review.updated_at = moment
        uow.session.add(review)
        count_open(uow.session, [review.officer_id], -1)
        uow.audit(
            "review.recused",
            "review",
            review.id,
            before={"status": "pending"},
            after={"status": review.status, "application_id": str(application.id), "reason": body.reason},
        )
        application.unassigned += 1
        uow.session.add(application)
        uow.session.flush()
        assign_reviewers(uow, application, AssignmentReason.replacement)
        uow.commit()
        return ReviewStatusOut(id=review.id, status=review.status)


def list_recusals(
    db: Database, page: PageParams, call_id: uuid.UUID | None, application_id: uuid.UUID | None
) -> Page[RecusalOut]:
    """Declared conflicts of interest, oldest first, for the committee."""
    query = (
        select(Review, Application.reference)
        .join(Application, col(Application.id) == col(Review.application_id))
        .where(Review.status == ReviewStatus.recused.value)
        .order_by(col(Review.recused_at), col(Review.id))
        .limit(page.limit + 1)
    )
    if call_id is not None:
        query = query.where(Review.call_id == call_id)
    if application_id is not None:
        query = query.where(Review.application_id == application_id)
    if page.after is not None:
        at, review_id = _parse_position(page.after)
        query = query.where(tuple_(col(Review.recused_at), col(Review.id)) > tuple_(at, review_id))
    with Session(db.engine) as session:
        rows = session.exec(query).all()
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    items = [
        RecusalOut(
            review_id=r.id,
            application_id=r.application_id,
            reference=reference,
            call_id=r.call_id,
            officer_id=r.officer_id,
            reason=r.recusal_reason or "",
            declared_at=r.recused_at,
        )
        for r, reference in rows
    ]
    cursor = None
    if more and rows:
        last = rows[-1][0]
        assert last.recused_at is not None
        cursor = encode_cursor(f"{last.recused_at.isoformat()}|{last.id}")
    return Page[RecusalOut](items=items, next_cursor=cursor)


def _own(session: Session, principal: Principal, review_id: uuid.UUID, *, lock: bool = False) -> Review:
    review = session.get(Review, review_id, with_for_update=lock, populate_existing=lock)
    if review is None or review.officer_id != principal.id:
        raise NotFound("no such review assigned to you")
    return review


def _lock_for_change(session: Session, principal: Principal, review_id: uuid.UUID) -> tuple[Application, Review]:
    """The assignment lock (a submission may add a reviewer, a recusal does), the application's
    row, then the review's: the lock order of every handler."""
    found = _own(session, principal, review_id)
    lock_assignments(session)
    application = locked_application(session, found.application_id)
    assert application is not None
    return application, _own(session, principal, review_id, lock=True)


def _merge(review: Review, body: ReviewDraftIn, rubric: list[scores.Criterion], *, complete: bool) -> None:
    merged: dict[str, Any] = {**review.scores, **body.scores}
    problems = scores.score_problems(rubric, merged, complete=complete)
    if problems:
        raise Invalid(f"{len(problems)} score(s) missing or out of range", problems)
    review.scores = merged
    if body.comment is not None:
        review.comment = body.comment
    review.updated_at = now()


def _review_out(session: Session, review: Review) -> ReviewOut:
    application = session.get(Application, review.application_id)
    assert application is not None
    call = session.get(Call, application.call_id)
    assert call is not None
    return ReviewOut(
        id=review.id,
        application_id=review.application_id,
        reference=application.reference,
        call_id=review.call_id,
        status=review.status,
        assigned_at=review.assigned_at,
        submitted_at=review.submitted_at,
        application=application.facts,
        criteria=[CriterionOut.model_validate(c) for c in call.rubric],
        scores=review.scores,
        comment=review.comment,
        recusal_reason=review.recusal_reason,
        score=(
            scores.rounded(scores.reviewer_score(scores.rubric_of(call.rubric), review.scores), 2)
            if review.status == ReviewStatus.submitted.value
            else None
        ),
    )


def call_of(session: Session, application: Application) -> Call:
    call = session.get(Call, application.call_id)
    assert call is not None  # an application is only kept for a known call
    return call
