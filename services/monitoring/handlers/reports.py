"""Read views: a grant's monitoring, and a call's indicators (SQL aggregates, GROUP BY)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, exists, literal
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, col, func, select

from services.monitoring import domain
from services.monitoring.handlers.common import flag_out, today, visible_grant
from services.monitoring.models import (
    Application,
    Call,
    Flag,
    Grant,
    GrantTranche,
    Job,
    JobObservation,
    ScheduledVisit,
    VerifiedMilestone,
    Visit,
)
from services.monitoring.models.api import (
    Breakdown,
    IndicatorsOut,
    JobCounts,
    JobOut,
    LocationOut,
    MilestoneOut,
    MonitoringOut,
    ScheduleOut,
    VisitOut,
)
from shared.auth import Principal
from shared.db import Database
from shared.errors import NotFound
from shared.money import exponent_of, quantize

SEXES = ("female", "male")
DISPLACEMENT = ("idp", "returnee", "host")


def grant_monitoring(db: Database, principal: Principal, grant_id: uuid.UUID) -> MonitoringOut:
    with Session(db.engine) as session:
        grant = visible_grant(session, principal, grant_id)
        application = session.get(Application, grant.application_id)
        slots = session.exec(select(ScheduledVisit).where(ScheduledVisit.grant_id == grant.id)
                             .order_by(col(ScheduledVisit.due_on), col(ScheduledVisit.kind))).all()
        verified = {m.milestone: m for m in session.exec(
            select(VerifiedMilestone).where(VerifiedMilestone.grant_id == grant.id)).all()}
        visits = session.exec(select(Visit).where(Visit.grant_id == grant.id)
                              .order_by(col(Visit.visited_on), col(Visit.recorded_at))).all()
        tranches = session.exec(select(GrantTranche).where(GrantTranche.grant_id == grant.id)
                                .order_by(col(GrantTranche.seq))).all()
        jobs = {j.id: j for j in session.exec(select(Job).where(Job.grant_id == grant.id)).all()}
        observations = session.exec(select(JobObservation).join(Visit, col(Visit.id) == col(JobObservation.visit_id))
                                    .where(Visit.grant_id == grant.id)
                                    .order_by(col(JobObservation.observed_on), col(Visit.recorded_at))).all()
        flags = session.exec(select(Flag).where(Flag.grant_id == grant.id).order_by(col(Flag.raised_at))).all()
    domain_slots = [domain.Slot(kind=s.kind, slot=s.slot, due_on=s.due_on, milestone=s.milestone) for s in slots]
    follow_up_visits = sum(1 for v in visits if v.kind == "follow_up")
    statuses = domain.schedule_statuses(domain_slots, today=today(), verified=set(verified),
                                        follow_up_visits=follow_up_visits)
    by_job: dict[uuid.UUID, list[domain.Observation]] = defaultdict(list)
    by_visit: dict[uuid.UUID, list[JobOut]] = defaultdict(list)
    for o in observations:
        by_job[o.job_id].append(domain.Observation(o.observed_on, o.still_employed, o.visit_kind))
        job = jobs[o.job_id]
        by_visit[o.visit_id].append(JobOut(id=job.id, sex=job.sex, age_group=job.age_group,
                                           displacement_status=job.displacement_status, start_date=job.start_date,
                                           still_employed=o.still_employed))
    planned = (application.jobs_planned_female + application.jobs_planned_male) if application else 0
    counts = JobCounts(
        planned=planned, verified=len(jobs),
        retained=sum(1 for seen in by_job.values() if seen[-1].still_employed),
        retained_6m=sum(1 for seen in by_job.values() if domain.retained(grant.first_paid_on, seen, "6m")),
        retained_12m=sum(1 for seen in by_job.values() if domain.retained(grant.first_paid_on, seen, "12m")))
    by_visit_milestones: dict[uuid.UUID, list[str]] = defaultdict(list)
    for m in verified.values():
        if m.visit_id is not None:
            by_visit_milestones[m.visit_id].append(m.milestone)
    return MonitoringOut(
        grant_id=grant.id, status=grant.status,
        schedule=[ScheduleOut(due_on=s.due_on, kind=s.kind, status=status, milestone=s.milestone)
                  for s, status in zip(slots, statuses, strict=True)],
        visits=[VisitOut(id=v.id, grant_id=v.grant_id, visited_on=v.visited_on, kind=v.kind, findings=v.findings,
                         recorded_at=v.recorded_at, jobs=by_visit.get(v.id, []),
                         milestones_verified=by_visit_milestones.get(v.id, []),
                         location=LocationOut(lat=v.lat, lon=v.lon) if v.lat is not None and v.lon is not None
                         else None) for v in visits],
        milestones=[MilestoneOut(key=t.milestone, verified_at=verified[t.milestone].verified_at
                                 if t.milestone in verified else None) for t in tranches],
        jobs=counts, flags=[flag_out(f) for f in flags])


def _grouped(session: Session, query: Any, keys: tuple[str, ...] | None = None) -> dict[str, int]:
    rows = {str(k): int(v or 0) for k, v in session.execute(query).all()}
    if keys is not None:
        return {key: rows.get(key, 0) for key in keys} | {k: v for k, v in rows.items() if k not in keys}
    return rows


def _planned(session: Session, call_id: uuid.UUID) -> Breakdown:
    """Planned jobs of the call's grants: sex from the plan, displacement status (the owner's) and
    governorate (the business's) from the application."""
    on = col(Application.id) == col(Grant.application_id)
    base = and_(col(Grant.call_id) == call_id)
    female = func.coalesce(func.sum(Application.jobs_planned_female), 0)
    male = func.coalesce(func.sum(Application.jobs_planned_male), 0)
    f, m = session.execute(select(female, male).select_from(Grant).join(Application, on).where(base)).one()
    both = func.sum(col(Application.jobs_planned_female) + col(Application.jobs_planned_male))
    by_displacement = _grouped(session, select(Application.owner_displacement_status, both).select_from(Grant)
                               .join(Application, on).where(base).group_by(col(Application.owner_displacement_status)),
                               DISPLACEMENT)
    by_governorate = _grouped(session, select(Application.governorate, both).select_from(Grant).join(Application, on)
                              .where(base).group_by(col(Application.governorate)))
    return Breakdown(total=int(f) + int(m), by_sex={"female": int(f), "male": int(m)},
                     by_displacement_status=by_displacement, by_governorate=by_governorate)


def _jobs(session: Session, call_id: uuid.UUID, condition: ColumnElement[bool] | None = None) -> Breakdown:
    """Jobs in the ledger of the call's grants (meeting `condition`), by the job's sex and
    displacement status and the business's governorate (`unknown` before its application)."""
    where = [col(Grant.call_id) == call_id, *([condition] if condition is not None else [])]

    def grouped(column: Any, keys: tuple[str, ...] | None = None) -> dict[str, int]:
        query = (select(column, func.count(col(Job.id))).select_from(Job)
                 .join(Grant, col(Grant.id) == col(Job.grant_id))
                 .outerjoin(Application, col(Application.id) == col(Grant.application_id))
                 .where(*where).group_by(column))
        return _grouped(session, query, keys)

    by_sex = grouped(col(Job.sex), SEXES)
    governorate = func.coalesce(col(Application.governorate), literal("unknown"))
    return Breakdown(total=sum(by_sex.values()), by_sex=by_sex,
                     by_displacement_status=grouped(col(Job.displacement_status), DISPLACEMENT),
                     by_governorate=grouped(governorate))


def _retained(horizon: str) -> ColumnElement[bool]:
    """A follow-up visit on or after the grant's first payment + the horizon saw the job employed."""
    cutoff = col(Grant.retention_6m_on) if horizon == "6m" else col(Grant.retention_12m_on)
    return exists().where(col(JobObservation.job_id) == col(Job.id), col(JobObservation.visit_kind) == "follow_up",
                          col(JobObservation.still_employed).is_(True), cutoff.is_not(None),
                          col(JobObservation.observed_on) >= cutoff)


def call_indicators(db: Database, call_id: uuid.UUID) -> IndicatorsOut:
    with Session(db.engine) as session:
        call = session.get(Call, call_id)
        if call is None:
            raise NotFound("no such call")
        exponent = exponent_of(call.currency, call.currency_exponent)
        statuses = _grouped(session, select(Grant.status, func.count()).where(col(Grant.call_id) == call_id)
                            .group_by(col(Grant.status)), ("active", "completed"))
        awarded = session.execute(select(func.coalesce(func.sum(Grant.amount), 0))
                                  .where(col(Grant.call_id) == call_id)).scalar_one()
        disbursed = session.execute(select(func.coalesce(func.sum(GrantTranche.paid_amount), 0))
                                    .join(Grant, col(Grant.id) == col(GrantTranche.grant_id))
                                    .where(col(Grant.call_id) == call_id)).scalar_one()
        planned = _planned(session, call_id)
        verified = _jobs(session, call_id)
        retained_6m = _jobs(session, call_id, _retained("6m"))
        retained_12m = _jobs(session, call_id, _retained("12m"))
    disbursed_total = quantize(Decimal(str(disbursed)), exponent)
    return IndicatorsOut(
        call_id=call_id, currency=call.currency, grants=statuses, awarded=quantize(Decimal(str(awarded)), exponent),
        disbursed=disbursed_total, jobs_planned=planned, jobs_verified=verified, jobs_retained_6m=retained_6m,
        jobs_retained_12m=retained_12m,
        cost_per_job=quantize(disbursed_total / verified.total, exponent) if verified.total else None)
