"""An application's outcome once its reviews are in: one more reviewer when they diverge
(once), else its result, ranked and published. Runs in the unit of work that submitted the
last review, under the locks `handlers.assignment` describes."""

from __future__ import annotations

from sqlmodel import select

from services.scoring.domain import ranking, scores
from services.scoring.domain.assignment import AssignmentReason, ReviewStatus
from services.scoring.handlers.assignment import assign_reviewers
from services.scoring.models import Application, Call, Review
from shared.application_status import ApplicationStatus
from shared.clock import now
from shared.events.applications import ApplicationScoredV1
from shared.uow import UnitOfWork


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
