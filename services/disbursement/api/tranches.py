"""Thin routes of the four-eyes release: an officer requests, another person in finance approves."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends

from services.disbursement.handlers import release
from services.disbursement.models.api import TrancheActionOut
from shared.app import Db
from shared.auth import Principal, Role, require_roles

router = APIRouter(prefix="/api/v1/tranches", tags=["disbursement"])
Officer = Annotated[Principal, Depends(require_roles(Role.officer))]
Finance = Annotated[Principal, Depends(require_roles(Role.finance))]


@router.post("/{tranche_id}/request", response_model=TrancheActionOut)
def request_tranche(tranche_id: uuid.UUID, db: Db, officer: Officer) -> TrancheActionOut:
    """409 unless the tranche is eligible (or its payment failed), the payee is set and the
    grant is not on hold."""
    return release.request_tranche(db, officer, tranche_id)


@router.post("/{tranche_id}/approve", response_model=TrancheActionOut)
def approve_tranche(tranche_id: uuid.UUID, db: Db, finance: Finance) -> TrancheActionOut:
    """403 for the requester; creates exactly one payment instruction."""
    return release.approve_tranche(db, finance, tranche_id)
