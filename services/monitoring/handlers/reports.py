"""Read views: a grant's monitoring (a call's indicators are in `indicators.py`)."""

from __future__ import annotations

import uuid
from collections import defaultdict

from sqlmodel import Session, col, select

from services.monitoring.domain import schedule
from services.monitoring.handlers.access import visible_grant
from services.monitoring.handlers.outputs import flag_out
from services.monitoring.models import (
    Application,
    Flag,
    GrantTranche,
    Job,
    JobObservation,
    ScheduledVisit,
    VerifiedMilestone,
    Visit,
)
from services.monitoring.models.api import (
    HoldOut,
    JobCounts,
    JobOut,
    LocationOut,
    MilestoneOut,
    MonitoringOut,
    ScheduleOut,
    VisitOut,
)
from shared.auth import Principal
from shared.clock import today
from shared.db import Database

SEXES = ("female", "male")
DISPLACEMENT = ("idp", "returnee", "host")


def grant_monitoring(db: Database, principal: Principal, grant_id: uuid.UUID) -> MonitoringOut:
    with Session(db.engine) as session:
        grant = visible_grant(session, principal, grant_id)
        application = session.get(Application, grant.application_id)
        slots = session.exec(
            select(ScheduledVisit)
            .where(ScheduledVisit.grant_id == grant.id)
            .order_by(col(ScheduledVisit.due_on), col(ScheduledVisit.kind))
        ).all()
        verified = {
            m.milestone: m
            for m in session.exec(select(VerifiedMilestone).where(VerifiedMilestone.grant_id == grant.id)).all()
        }
        visits = session.exec(
            select(Visit).where(Visit.grant_id == grant.id).order_by(col(Visit.visited_on), col(Visit.recorded_at))
        ).all()
        tranches = session.exec(
            select(GrantTranche).where(GrantTranche.grant_id == grant.id).order_by(col(GrantTranche.seq))
        ).all()
        jobs = {j.id: j for j in session.exec(select(Job).where(Job.grant_id == grant.id)).all()}
        observations = session.exec(
            select(JobObservation)
            .join(Visit, col(Visit.id) == col(JobObservation.visit_id))
            .where(Visit.grant_id == grant.id)
            .order_by(col(JobObservation.observed_on), col(Visit.recorded_at))
        ).all()
        flags = session.exec(select(Flag).where(Flag.grant_id == grant.id).order_by(col(Flag.raised_at))).all()
    domain_slots = [schedule.Slot(kind=s.kind, slot=s.slot, due_on=s.due_on, milestone=s.milestone) for s in slots]
    follow_up_visits = sum(1 for v in visits if v.kind == "follow_up")
    statuses = schedule.schedule_statuses(
        domain_slots, today=today(), verified=set(verified), follow_up_visits=follow_up_visits
    )
    by_job: dict[uuid.UUID, list[schedule.Observation]] = defaultdict(list)
    by_visit: dict[uuid.UUID, list[JobOut]] = defaultdict(list)
    for o in observations:
        by_job[o.job_id].append(schedule.Observation(o.observed_on, o.still_employed, o.visit_kind))
        job = jobs[o.job_id]
        by_visit[o.visit_id].append(
            JobOut(
                id=job.id,
                sex=job.sex,
                age_group=job.age_group,
                displacement_status=job.displacement_status,
                start_date=job.start_date,
                still_employed=o.still_employed,
            )
        )
    planned = (application.jobs_planned_female + application.jobs_planned_male) if application else 0
    counts = JobCounts(
        planned=planned,
        verified=len(jobs),
        retained=sum(1 for seen in by_job.values() if seen[-1].still_employed),
        retained_6m=sum(1 for seen in by_job.values() if schedule.retained(grant.first_paid_on, seen, "6m")),
        retained_12m=sum(1 for seen in by_job.values() if schedule.retained(grant.first_paid_on, seen, "12m")),
    )
    by_visit_milestones: dict[uuid.UUID, list[str]] = defaultdict(list)
    for m in verified.values():
        if m.visit_id is not None:
            by_visit_milestones[m.visit_id].append(m.milestone)
    holding = [f for f in flags if f.hold_payments and f.resolved_at is None]
    hold = HoldOut(
        payments_on_hold=bool(holding),
        since=min(f.raised_at for f in holding) if holding else None,
        action="contact_your_grant_officer" if holding else None,
    )
    internal = principal.is_staff  # findings, locations and flag reasons: never to the grantee
    return MonitoringOut(
        grant_id=grant.id,
        hold=hold,
        status=grant.status,
        schedule=[
            ScheduleOut(due_on=s.due_on, kind=s.kind, status=status, milestone=s.milestone)
            for s, status in zip(slots, statuses, strict=True)
        ],
        visits=[
            VisitOut(
                id=v.id,
                grant_id=v.grant_id,
                visited_on=v.visited_on,
                kind=v.kind,
                findings=v.findings if internal else None,
                recorded_at=v.recorded_at,
                jobs=by_visit.get(v.id, []),
                milestones_verified=by_visit_milestones.get(v.id, []),
                location=LocationOut(lat=v.lat, lon=v.lon)
                if internal and v.lat is not None and v.lon is not None
                else None,
            )
            for v in visits
        ],
        milestones=[
            MilestoneOut(
                key=t.milestone, verified_at=verified[t.milestone].verified_at if t.milestone in verified else None
            )
            for t in tranches
        ],
        jobs=counts,
        flags=[flag_out(f, internal=internal) for f in flags],
    )
