"""Thin route of the staff dashboard's figures for a call."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from services.monitoring.api.deps import DatabaseDep, Staff
from services.monitoring.handlers import dashboard
from services.monitoring.models.api import DashboardOut

router = APIRouter(prefix="/api/v1/calls", tags=["monitoring"])


@router.get("/{call_id}/dashboard", response_model=DashboardOut)
def call_dashboard(call_id: uuid.UUID, db: DatabaseDep, _: Staff) -> DashboardOut:
    """Money paid per month (UTC) with its running total, jobs in the ledger by displacement status
    and sex, and the visit schedule: due, overdue (not done and past its date) and done, by kind."""
    return dashboard.call_dashboard(db, call_id)
