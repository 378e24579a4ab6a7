"""Thin routes of payment instructions: settlement reports, reading one, alerts."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from services.disbursement.api.deps import DatabaseDep, FinanceMfa, FinanceOrAdmin, PageDep
from services.disbursement.handlers import reports, settlement
from services.disbursement.models.api import AlertOut, PaymentOut, SettlementIn, SettlementOut
from shared.http import Page

router = APIRouter(prefix="/api/v1/payments", tags=["disbursement"])


@router.get("/alerts", response_model=Page[AlertOut])
def list_alerts(db: DatabaseDep, _: FinanceOrAdmin, page: PageDep) -> Page[AlertOut]:
    """Reports that contradicted an earlier one about the same instruction (nothing was changed)."""
    return reports.list_alerts(db, page)


@router.get("/{instruction_id}", response_model=PaymentOut)
def get_payment(instruction_id: uuid.UUID, db: DatabaseDep, principal: FinanceOrAdmin) -> PaymentOut:
    return reports.get_payment(db, principal, instruction_id)


@router.post("/{instruction_id}/settlement", response_model=SettlementOut)
def record_settlement(
    instruction_id: uuid.UUID, body: SettlementIn, db: DatabaseDep, finance: FinanceMfa
) -> SettlementOut:
    """The same report again changes nothing (200); a contradicting one is 409 and kept as an alert."""
    return settlement.record_settlement(db, finance, instruction_id, body)
