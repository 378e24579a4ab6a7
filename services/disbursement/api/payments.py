"""Thin routes of payment instructions: settlement reports, reading one, alerts."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends

from services.disbursement.handlers import reports, settlement
from services.disbursement.models.api import AlertOut, PaymentOut, SettlementIn, SettlementOut
from shared.app import Db
from shared.auth import Principal, Role, require_roles
from shared.http import Page, PageParams, page_params

router = APIRouter(prefix="/api/v1/payments", tags=["disbursement"])
Finance = Annotated[Principal, Depends(require_roles(Role.finance))]
FinanceOrAdmin = Annotated[Principal, Depends(require_roles(Role.finance, Role.admin))]


@router.get("/alerts", response_model=Page[AlertOut])
def list_alerts(db: Db, _: FinanceOrAdmin, page: Annotated[PageParams, Depends(page_params)]) -> Page[AlertOut]:
    """Reports that contradicted an earlier one about the same instruction (nothing was changed)."""
    return reports.list_alerts(db, page)


@router.get("/{instruction_id}", response_model=PaymentOut)
def get_payment(instruction_id: uuid.UUID, db: Db, principal: FinanceOrAdmin) -> PaymentOut:
    return reports.get_payment(db, principal, instruction_id)


@router.post("/{instruction_id}/settlement", response_model=SettlementOut)
def record_settlement(instruction_id: uuid.UUID, body: SettlementIn, db: Db, finance: Finance) -> SettlementOut:
    """The same report again changes nothing (200); a contradicting one is 409 and kept as an alert."""
    return settlement.record_settlement(db, finance, instruction_id, body)
