"""Thin routes of a call's money: the ledger and the pain.001 file for the bank."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.responses import Response

from services.disbursement.api.deps import DatabaseDep, DebtorDep, Finance, FinanceOrAdmin
from services.disbursement.handlers import reports
from services.disbursement.models.api import LedgerOut
from shared.downloads import attachment
from shared.openapi_responses import problem_responses
from shared.uow import Actor

router = APIRouter(prefix="/api/v1/calls", tags=["disbursement"])


@router.get("/{call_id}/ledger", response_model=LedgerOut)
def call_ledger(call_id: uuid.UUID, db: DatabaseDep, _: FinanceOrAdmin) -> LedgerOut:
    return reports.ledger(db, call_id)


@router.get(
    "/{call_id}/payments.xml",
    response_class=Response,
    responses={
        200: {"content": {"application/xml": {}}, "description": "ISO 20022 pain.001.001.09"},
        **problem_responses(409),
    },
)  # 409: no instructed bank payment awaits settlement
def payments_file(call_id: uuid.UUID, db: DatabaseDep, finance: Finance, account: DebtorDep) -> Response:
    message_id, document = reports.payments_file(db, Actor.of(finance), call_id, account)
    return attachment(document, "application/xml", f"{message_id}.xml")
