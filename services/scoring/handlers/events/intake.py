"""Event handlers: calls, applications as they are submitted, screened and withdrawn, and
officers as the gateway creates them. One unit of work each (the inbox's).

Replicas of this service share the durable consumers, so an application's `screened` may be
handled before its `submitted` has committed: such an event is retried with backoff
(`NotYetApplicable`), and dead-lettered only if its predecessor never comes.
"""

from __future__ import annotations

from sqlmodel import col, select

from services.scoring.domain import calls as call_rules
from services.scoring.domain.anonymised import reviewer_view
from services.scoring.domain.assignment import DECIDED, ApplicationStatus, AssignmentReason, ReviewStatus
from services.scoring.handlers.assignment import (
    assign_reviewers,
    count_open,
    lock_assignments,
    locked_application,
)
from services.scoring.models import Application, Call, Officer, Review
from shared.clock import now
from shared.events.applications import ApplicationScreenedV1, ApplicationSubmittedV1, ApplicationWithdrawnV1
from shared.events.envelope import IncomingCloudEvent
from shared.events.users import UserCreatedV1
from shared.inbox import NotYetApplicable
from shared.replicas import call_copy_handlers
from shared.roles import Role
from shared.uow import UnitOfWork

call_opened, call_closed = call_copy_handlers(Call, call_rules.call_copy)


def application_submitted(uow: UnitOfWork, _: IncomingCloudEvent, data: ApplicationSubmittedV1) -> None:
    """Keeps the anonymised facts; reviewers are assigned once it is screened eligible."""
    call = uow.session.get(Call, data.call_id)
    if call is None:
        raise NotYetApplicable(f"call {data.call_id} is not known here (yet)")
    if uow.session.get(Application, data.application_id) is not None:
        return  # known already (republished after the inbox window)
    plan, owner = data.plan, data.owner
    application = Application(
        id=data.application_id,
        call_id=data.call_id,
        reference=data.reference,
        status=ApplicationStatus.submitted.value,
        submitted_at=data.submitted_at,
        facts=reviewer_view(data),
        currency=data.currency,
        requested_amount=plan.requested_amount,
        jobs_planned=plan.jobs_planned_female + plan.jobs_planned_male,
        owner_sex=owner.sex,
        displacement_status=owner.displacement_status,
        reviewers_required=call.reviewers_per_application,
        updated_at=now(),
    )
    uow.session.add(application)
    # Not on the application's timeline (entity "application_copy"): applications tells that part.
    uow.audit("application.received", "application_copy", application.id, after={"status": application.status})


def application_screened(uow: UnitOfWork, _: IncomingCloudEvent, data: ApplicationScreenedV1) -> None:
    """Eligible: the call's `reviewers_per_application` officers are assigned (as many as exist)."""
    lock_assignments(uow.session)
    application = locked_application(uow.session, data.application_id)
    if application is None:
        raise NotYetApplicable("the screened application is not known here (yet)")
    if application.status != ApplicationStatus.submitted.value:
        return  # withdrawn meanwhile, or screened already
    if not data.eligible:
        application.status, application.updated_at = ApplicationStatus.ineligible.value, now()
        uow.session.add(application)
        uow.audit("application.ineligible", "application_copy", application.id, after={"status": application.status})
        return
    application.status = ApplicationStatus.eligible.value
    application.unassigned = application.reviewers_required
    application.updated_at = now()
    uow.session.add(application)
    if assign_reviewers(uow, application, AssignmentReason.initial) == 0:
        uow.audit(
            "application.waiting_for_officers",
            "application",
            application.id,
            after={"status": application.status, "waiting_for_officers": application.unassigned},
        )


def application_withdrawn(uow: UnitOfWork, _: IncomingCloudEvent, data: ApplicationWithdrawnV1) -> None:
    """Its pending reviews leave the officers' queues (kept, as `cancelled`); it leaves the ranking."""
    lock_assignments(uow.session)  # first: it moves officers' counters (see the lock order)
    application = locked_application(uow.session, data.application_id)
    if application is None:
        raise NotYetApplicable("the withdrawn application is not known here (yet)")
    before = ApplicationStatus(application.status)
    if before is ApplicationStatus.withdrawn or before in DECIDED:
        return  # a decision raced the withdrawal: the decision stands (see docs)
    pending = list(
        uow.session.exec(
            select(Review).where(Review.application_id == application.id, Review.status == ReviewStatus.pending.value)
        ).all()
    )
    moment = now()
    for review in pending:
        review.status, review.updated_at = ReviewStatus.cancelled.value, moment
        uow.session.add(review)
    count_open(uow.session, [r.officer_id for r in pending], -1)
    application.status, application.updated_at = ApplicationStatus.withdrawn.value, moment
    application.unassigned, application.rank_key = 0, None
    uow.session.add(application)
    uow.audit(
        "reviews.cancelled",
        "application",
        application.id,
        before={"status": before.value},
        after={"status": application.status, "cancelled_reviews": len(pending)},
    )


def user_created(uow: UnitOfWork, _: IncomingCloudEvent, data: UserCreatedV1) -> None:
    """An officer joins the pool; work that waited for an officer is assigned to them at once."""
    if data.role is not Role.officer:
        return
    lock_assignments(uow.session)
    if uow.session.get(Officer, data.user_id) is not None:
        return
    officer = Officer(id=data.user_id, active=data.active, created_at=data.created_at)
    uow.session.add(officer)
    uow.session.flush()
    uow.audit("officer.added", "officer", officer.id, after={"active": officer.active})
    if not officer.active:
        return
    waiting = uow.session.exec(
        select(Application)
        .where(col(Application.unassigned) > 0)
        .order_by(col(Application.submitted_at), col(Application.id))
        .with_for_update()
    ).all()
    for application in waiting:
        assign_reviewers(uow, application, AssignmentReason.backlog, only=[officer])
