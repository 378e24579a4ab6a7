"""Thin routes of a call's money: the ledger (its bank files are in `batches.py`)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from services.disbursement.api.deps import DatabaseDep, FinanceOrAdmin
from services.disbursement.handlers import reports
from services.disbursement.models.api import LedgerOut

router = APIRouter(prefix="/api/v1/calls", tags=["disbursement"])


@router.get("/{call_id}/ledger", response_model=LedgerOut)
def call_ledger(call_id: uuid.UUID, db: DatabaseDep, _: FinanceOrAdmin) -> LedgerOut:
    return reports.ledger(db, call_id)
