"""Thin routes of a call's money: the ledger and the pain.001 file for the bank."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from services.disbursement.domain.pain001 import Debtor
from services.disbursement.handlers import reports
from services.disbursement.models.api import LedgerOut
from shared.app import Db
from shared.auth import Principal, Role, require_roles
from shared.openapi_responses import problem_responses
from shared.uow import Actor

router = APIRouter(prefix="/api/v1/calls", tags=["disbursement"])
Finance = Annotated[Principal, Depends(require_roles(Role.finance))]
FinanceOrAdmin = Annotated[Principal, Depends(require_roles(Role.finance, Role.admin))]


def debtor(request: Request) -> Debtor:
    found: Debtor = request.app.state.debtor
    return found


@router.get("/{call_id}/ledger", response_model=LedgerOut)
def call_ledger(call_id: uuid.UUID, db: Db, _: FinanceOrAdmin) -> LedgerOut:
    return reports.ledger(db, call_id)


@router.get(
    "/{call_id}/payments.xml",
    response_class=Response,
    responses={
        200: {"content": {"application/xml": {}}, "description": "ISO 20022 pain.001.001.09"},
        **problem_responses(409),
    },
)  # 409: no instructed bank payment awaits settlement
def payments_file(
    call_id: uuid.UUID, db: Db, finance: Finance, account: Annotated[Debtor, Depends(debtor)]
) -> Response:
    message_id, document = reports.payments_file(db, Actor.of(finance), call_id, account)
    return Response(
        document,
        media_type="application/xml",
        headers={
            "Content-Disposition": f'attachment; filename="{message_id}.xml"',
            "Cache-Control": "private, no-store",
        },
    )
