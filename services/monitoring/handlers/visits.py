"""Commands: visits (with the jobs seen, milestones verified and a flag), milestone
verification and flags. Each one unit of work; the grant's row is locked first, so that a
milestone is verified (and its event emitted) once per grant whatever runs concurrently."""

from __future__ import annotations

import uuid

from sqlmodel import Session, col, select

from services.monitoring.domain import schedule
from services.monitoring.handlers.access import grant_for_update
from services.monitoring.handlers.outputs import flag_out
from services.monitoring.models import Flag, GrantTranche, Job, JobObservation, VerifiedMilestone, Visit
from services.monitoring.models.api import (
    FlagIn,
    FlagOut,
    JobOut,
    LocationOut,
    MilestoneOut,
    VerifyIn,
    VisitIn,
    VisitOut,
)
from shared.auth import Principal
from shared.clock import now, today
from shared.db import Database
from shared.errors import Conflict, Invalid, NotFound
from shared.events.monitoring import FlagResolvedV1, GrantFlaggedV1, MilestoneVerifiedV1, VisitRecordedV1
from shared.tables import locked
from shared.uow import Actor, UnitOfWork


def milestones_of(session: Session, grant_id: uuid.UUID) -> list[str]:
    query = select(GrantTranche.milestone).where(GrantTranche.grant_id == grant_id).order_by(col(GrantTranche.seq))
    return list(session.exec(query).all())


def record_visit(db: Database, principal: Principal, grant_id: uuid.UUID, body: VisitIn) -> VisitOut:
    with UnitOfWork(db, Actor.of(principal)) as uow:
        session = uow.session
        grant = grant_for_update(session, grant_id)
        if body.visited_on > today():
            raise Invalid.field(["body", "visited_on"], "a visit cannot be recorded before it happens")
        known = set(milestones_of(session, grant.id))
        for i, key in enumerate(body.milestones_verified):
            if key not in known:
                raise Invalid.field(["body", "milestones_verified", i], f"not a milestone of this grant: {key}")
        jobs = _checked_jobs(session, grant.id, body)
        moment = now()
        location = body.location
        visit = Visit(
            grant_id=grant.id,
            visited_on=body.visited_on,
            kind=body.kind,
            findings=body.findings,
            lat=schedule.rounded(location.lat) if location else None,
            lon=schedule.rounded(location.lon) if location else None,
            recorded_by=principal.id,
            recorded_at=moment,
        )
        session.add(visit)
        session.flush()
        seen: list[JobOut] = []
        for job_in, job in zip(body.jobs, jobs, strict=True):
            if job is None:
                job = Job(
                    grant_id=grant.id,
                    first_visit_id=visit.id,
                    sex=job_in.sex,
                    age_group=job_in.age_group,
                    displacement_status=job_in.displacement_status,
                    start_date=job_in.start_date,
                )
                session.add(job)
                session.flush()
            session.add(
                JobObservation(
                    job_id=job.id,
                    visit_id=visit.id,
                    visit_kind=body.kind,
                    observed_on=body.visited_on,
                    still_employed=job_in.still_employed,
                )
            )
            seen.append(
                JobOut(
                    id=job.id,
                    sex=job.sex,
                    age_group=job.age_group,
                    displacement_status=job.displacement_status,
                    start_date=job.start_date,
                    still_employed=job_in.still_employed,
                )
            )
        verified = [
            key
            for key in dict.fromkeys(body.milestones_verified)
            if _verify(uow, grant.id, key, principal, visit_id=visit.id, evidence=None)[1]
        ]
        flag = _raise_flag(uow, grant.id, principal, body.flag, visit.id) if body.flag else None
        uow.emit(
            VisitRecordedV1(
                visit_id=visit.id,
                grant_id=grant.id,
                visited_on=body.visited_on,
                kind=body.kind,
                jobs_verified=len(seen),
            ),
            grant.id,
        )
        uow.audit(
            "visit.recorded",
            "grant",
            grant.id,
            after={
                "visit_id": str(visit.id),
                "kind": body.kind,
                "visited_on": body.visited_on.isoformat(),
                "jobs": len(seen),
                "milestones_verified": verified,
            },
        )
        uow.commit()
    return VisitOut(
        id=visit.id,
        grant_id=grant.id,
        visited_on=visit.visited_on,
        kind=visit.kind,
        findings=visit.findings,
        recorded_at=moment,
        milestones_verified=verified,
        jobs=seen,
        location=LocationOut(lat=visit.lat, lon=visit.lon) if visit.lat is not None and visit.lon is not None else None,
        flag=flag,
    )


def _checked_jobs(session: Session, grant_id: uuid.UUID, body: VisitIn) -> list[Job | None]:
    """The known job each entry names (None: a job seen for the first time)."""
    found: list[Job | None] = []
    named: set[uuid.UUID] = set()
    for i, job_in in enumerate(body.jobs):
        if job_in.job_id is None:
            found.append(None)
            continue
        job = session.get(Job, job_in.job_id)
        if job is None or job.grant_id != grant_id or job_in.job_id in named:
            raise Invalid.field(["body", "jobs", i, "job_id"], "not a job of this grant (or named twice)")
        named.add(job_in.job_id)
        found.append(job)
    return found


def _verify(
    uow: UnitOfWork,
    grant_id: uuid.UUID,
    key: str,
    principal: Principal,
    *,
    visit_id: uuid.UUID | None,
    evidence: str | None,
) -> tuple[VerifiedMilestone, bool]:
    """(the verification, whether it is new): new ones emit `milestone.verified` once."""
    existing = uow.session.get(VerifiedMilestone, (grant_id, key))
    if existing is not None:
        return existing, False
    row = VerifiedMilestone(
        grant_id=grant_id,
        milestone=key,
        verified_at=now(),
        verified_by=principal.id,
        visit_id=visit_id,
        evidence=evidence,
    )
    uow.session.add(row)
    uow.session.flush()  # the primary key refuses a second verification of the same milestone
    uow.emit(
        MilestoneVerifiedV1(grant_id=grant_id, milestone=key, verified_at=row.verified_at, verified_by=principal.id),
        grant_id,
    )
    uow.audit("milestone.verified", "grant", grant_id, after={"milestone": key, "visit_id": visit_id and str(visit_id)})
    return row, True


def verify_milestone(db: Database, principal: Principal, grant_id: uuid.UUID, key: str, body: VerifyIn) -> MilestoneOut:
    """Idempotent: verifying a verified milestone answers the first verification."""
    with UnitOfWork(db, Actor.of(principal)) as uow:
        grant = grant_for_update(uow.session, grant_id)
        if key not in milestones_of(uow.session, grant.id):
            raise NotFound(f"no milestone {key!r} in this grant's tranche plan")
        row, _ = _verify(uow, grant.id, key, principal, visit_id=None, evidence=body.evidence)
        uow.commit()
    return MilestoneOut(key=row.milestone, verified_at=row.verified_at)


def _raise_flag(
    uow: UnitOfWork, grant_id: uuid.UUID, principal: Principal, body: FlagIn, visit_id: uuid.UUID | None = None
) -> FlagOut:
    flag = Flag(
        grant_id=grant_id,
        reason=body.reason,
        hold_payments=body.hold_payments,
        visit_id=visit_id,
        raised_by=principal.id,
        raised_at=now(),
    )
    uow.session.add(flag)
    uow.session.flush()
    uow.emit(GrantFlaggedV1(flag_id=flag.id, grant_id=grant_id, hold_payments=flag.hold_payments), grant_id)
    uow.audit(
        "flag.raised",
        "flag",
        flag.id,
        after={"grant_id": str(grant_id), "hold_payments": flag.hold_payments, "status": "open"},
    )
    return flag_out(flag)


def raise_flag(db: Database, principal: Principal, grant_id: uuid.UUID, body: FlagIn) -> FlagOut:
    with UnitOfWork(db, Actor.of(principal)) as uow:
        grant = grant_for_update(uow.session, grant_id)
        out = _raise_flag(uow, grant.id, principal, body)
        uow.commit()
    return out


def resolve_flag(db: Database, principal: Principal, flag_id: uuid.UUID) -> FlagOut:
    """Once: a resolved flag is 409."""
    with UnitOfWork(db, Actor.of(principal)) as uow:
        flag = locked(uow.session, Flag, flag_id)
        if flag is None:
            raise NotFound("no such flag")
        if flag.resolved_at is not None:
            raise Conflict("the flag is already resolved")
        flag.resolved_at = now()
        flag.resolved_by = principal.id
        uow.session.add(flag)
        uow.emit(
            FlagResolvedV1(
                flag_id=flag.id, grant_id=flag.grant_id, hold_payments=flag.hold_payments, resolved_by=principal.id
            ),
            flag.grant_id,
        )
        uow.audit("flag.resolved", "flag", flag.id, before={"status": "open"}, after={"status": "resolved"})
        uow.commit()
    return flag_out(flag)
