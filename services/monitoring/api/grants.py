"""Thin routes of a grant's monitoring: visits, milestones, flags and the monitoring view."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from services.monitoring.api.deps import DatabaseDep, Monitor, MonitorOrOfficer, SignedIn
from services.monitoring.handlers import reports, visits
from services.monitoring.models.api import FlagIn, FlagOut, MilestoneOut, MonitoringOut, VerifyIn, VisitIn, VisitOut
from shared.events.calls import Key

router = APIRouter(prefix="/api/v1/grants", tags=["monitoring"])
flags_router = APIRouter(prefix="/api/v1/flags", tags=["monitoring"])


@router.get("/{grant_id}/monitoring", response_model=MonitoringOut)
def grant_monitoring(grant_id: uuid.UUID, db: DatabaseDep, principal: SignedIn) -> MonitoringOut:
    """Staff see every grant's monitoring, a grantee their own."""
    return reports.grant_monitoring(db, principal, grant_id)


@router.post("/{grant_id}/visits", response_model=VisitOut, status_code=201)
def record_visit(grant_id: uuid.UUID, body: VisitIn, db: DatabaseDep, monitor: Monitor) -> VisitOut:
    """422 for a visit in the future; 409 for a grant not in monitoring. A job with `job_id`
    is one an earlier visit recorded, seen again; one without is new to the ledger."""
    return visits.record_visit(db, monitor, grant_id, body)


@router.post("/{grant_id}/milestones/{key}/verify", response_model=MilestoneOut)
def verify_milestone(
    grant_id: uuid.UUID, key: Key, db: DatabaseDep, principal: MonitorOrOfficer, body: VerifyIn | None = None
) -> MilestoneOut:
    """Idempotent: once per milestone per grant; 404 for a key not in the grant's tranche plan."""
    return visits.verify_milestone(db, principal, grant_id, key, body or VerifyIn())


@router.post("/{grant_id}/flags", response_model=FlagOut, status_code=201)
def raise_flag(grant_id: uuid.UUID, body: FlagIn, db: DatabaseDep, principal: MonitorOrOfficer) -> FlagOut:
    return visits.raise_flag(db, principal, grant_id, body)


@flags_router.post("/{flag_id}/resolve", response_model=FlagOut)
def resolve_flag(flag_id: uuid.UUID, db: DatabaseDep, principal: MonitorOrOfficer) -> FlagOut:
    """409 when it is already resolved."""
    return visits.resolve_flag(db, principal, flag_id)
