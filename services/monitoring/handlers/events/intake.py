"""Event handlers: the calls, applications, grants and payments monitoring keeps copies of.
Each runs in the inbox's unit of work, so a redelivered or replayed event changes nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from sqlmodel import col, func, select

from services.monitoring.domain import calls as call_rules
from services.monitoring.domain import schedule
from services.monitoring.handlers.events import statuses
from services.monitoring.models import Application, Call, Grant, GrantTranche, ScheduledVisit
from shared.clock import now
from shared.events.applications import ApplicationSubmittedV1
from shared.events.disbursement import GrantCompletedV1, GrantCreatedV1, TranchePaidV1
from shared.events.envelope import IncomingCloudEvent
from shared.inbox import NotYetApplicable
from shared.replicas import call_copy_handlers, upsert_copy
from shared.tables import locked
from shared.uow import UnitOfWork

call_opened, call_closed = call_copy_handlers(Call, call_rules.call_copy)


def application_submitted(uow: UnitOfWork, _: IncomingCloudEvent, data: ApplicationSubmittedV1) -> None:
    """Planned jobs and the breakdowns; the reference, sector and district; the applicant's
    account id (who may read the grant). Free text (the plan's summary, budget lines) is not kept:
    it is where an applicant might have written a name. A grant here already means an award."""
    before, row = upsert_copy(
        uow.session,
        Application,
        data.application_id,
        {
            "call_id": data.call_id,
            "applicant_id": data.applicant_id,
            "reference": data.reference,
            "sector": data.business.sector,
            "district": data.business.district,
            "governorate": data.business.governorate,
            "owner_sex": data.owner.sex,
            "owner_displacement_status": data.owner.displacement_status,
            "jobs_planned_female": data.plan.jobs_planned_female,
            "jobs_planned_male": data.plan.jobs_planned_male,
        },
    )
    if before is None:
        uow.audit(
            "application.copied",
            "application_copy",
            data.application_id,
            after={"call_id": str(data.call_id), "status": "submitted"},
        )
        uow.session.flush()
        grant = uow.session.exec(select(Grant).where(Grant.application_id == data.application_id)).first()
        if grant is not None:
            assert isinstance(row, Application)
            statuses.advance(uow, row, "awarded", _grant_time(grant.created_on))


def grant_created(uow: UnitOfWork, event: IncomingCloudEvent, data: GrantCreatedV1) -> None:
    """A grant enters monitoring with a verification visit due before each tranche's milestone.
    Its application may arrive later (another stream): read views join it when it is here."""
    session = uow.session
    if locked(session, Grant, data.grant_id) is not None:
        return  # replayed under a new event id
    created_at = data.created_at or event.time or now()  # CloudEvents' `time` is optional
    created_on = created_at.date()
    session.add(
        Grant(
            id=data.grant_id,
            application_id=data.application_id,
            call_id=data.call_id,
            amount=data.amount,
            currency=data.currency,
            status="active",
            created_on=created_on,
        )
    )
    session.flush()
    for tranche in data.tranches:
        session.add(
            GrantTranche(
                id=tranche.tranche_id,
                grant_id=data.grant_id,
                seq=tranche.seq,
                milestone=tranche.milestone,
                amount=tranche.amount,
            )
        )
        session.add(
            ScheduledVisit(
                grant_id=data.grant_id,
                kind="verification",
                slot=tranche.seq,
                due_on=schedule.verification_due(created_on, tranche.seq),
                milestone=tranche.milestone,
            )
        )
    uow.audit(
        "grant.monitored",
        "grant",
        data.grant_id,
        after={"status": "active", "tranches": len(data.tranches), "created_on": created_on.isoformat()},
    )
    application = locked(session, Application, data.application_id)
    if application is not None:
        statuses.advance(uow, application, "awarded", created_at)


def _grant_time(created_on: date) -> datetime:
    """The end of the day the grant was created: later than any decision about its application."""
    return datetime.combine(created_on, time.max, tzinfo=UTC)


def tranche_paid(uow: UnitOfWork, _: IncomingCloudEvent, data: TranchePaidV1) -> None:
    """Money disbursed and the first payment's date; follow-ups once the last tranche is paid."""
    session = uow.session
    grant = locked(session, Grant, data.grant_id)
    tranche = session.get(GrantTranche, data.tranche_id)
    if grant is None or tranche is None:
        raise NotYetApplicable(f"grant {data.grant_id} is not known here yet")
    if tranche.paid_at is not None:
        return  # replayed
    paid_on = data.paid_at.date()
    last_seq = session.exec(select(func.max(GrantTranche.seq)).where(GrantTranche.grant_id == grant.id)).one()
    if tranche.seq == last_seq:
        call = session.get(Call, grant.call_id)
        if call is None:
            raise NotYetApplicable(f"call {grant.call_id} is not opened here yet")
        existing = session.exec(
            select(func.count())
            .select_from(ScheduledVisit)
            .where(ScheduledVisit.grant_id == grant.id, col(ScheduledVisit.kind) == "follow_up")
        ).one()
        if not existing:
            for slot, due in enumerate(schedule.follow_ups_due(paid_on, call.monitoring_schedule_days), start=1):
                session.add(ScheduledVisit(grant_id=grant.id, kind="follow_up", slot=slot, due_on=due))
    tranche.paid_at = data.paid_at
    tranche.paid_amount = data.amount
    session.add(tranche)
    if grant.first_paid_on is None or paid_on < grant.first_paid_on:
        grant.first_paid_on = paid_on
        grant.retention_6m_on = schedule.retention_cutoff(paid_on, "6m")
        grant.retention_12m_on = schedule.retention_cutoff(paid_on, "12m")
        session.add(grant)
    uow.audit("tranche.paid", "tranche", tranche.id, after={"seq": tranche.seq, "amount": str(data.amount)})


def grant_completed(uow: UnitOfWork, _: IncomingCloudEvent, data: GrantCompletedV1) -> None:
    grant = locked(uow.session, Grant, data.grant_id)
    if grant is None:
        raise NotYetApplicable(f"grant {data.grant_id} is not known here yet")
    if grant.status != "completed":
        before = grant.status
        grant.status = "completed"
        uow.session.add(grant)
        uow.audit("grant.completed", "grant", grant.id, before={"status": before}, after={"status": "completed"})
