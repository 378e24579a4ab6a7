"""Thin routes of the four-eyes release: an officer requests, another person in finance approves."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from services.disbursement.api.deps import DatabaseDep, FinanceMfa, Officer
from services.disbursement.handlers import release
from services.disbursement.models.api import TrancheActionOut

router = APIRouter(prefix="/api/v1/tranches", tags=["disbursement"])


@router.post("/{tranche_id}/request", response_model=TrancheActionOut)
def request_tranche(tranche_id: uuid.UUID, db: DatabaseDep, officer: Officer) -> TrancheActionOut:
    """409 unless the tranche is eligible (or its payment failed), the payee is set and the
    grant is not on hold."""
    return release.request_tranche(db, officer, tranche_id)


@router.post("/{tranche_id}/approve", response_model=TrancheActionOut)
def approve_tranche(tranche_id: uuid.UUID, db: DatabaseDep, finance: FinanceMfa) -> TrancheActionOut:
    """403 for the requester; creates exactly one payment instruction."""
    return release.approve_tranche(db, finance, tranche_id)
