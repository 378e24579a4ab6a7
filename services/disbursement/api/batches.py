"""Thin routes of payment batches: a call's bank payments in pain.001 files, each payment in one."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from services.disbursement.api.deps import DatabaseDep, DebtorDep, Finance, FinanceMfa
from services.disbursement.handlers import batches
from services.disbursement.models.api import BatchOut
from shared.downloads import attachment
from shared.openapi_responses import problem_responses

router = APIRouter(tags=["disbursement"])
PAIN001: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/xml": {}}, "description": "ISO 20022 pain.001.001.09"}
}


@router.post(
    "/api/v1/calls/{call_id}/payment-batches",
    status_code=201,
    response_model=BatchOut,
    responses=problem_responses(409),
)
def make_batch(call_id: uuid.UUID, db: DatabaseDep, finance: FinanceMfa, debtor: DebtorDep) -> BatchOut:
    """Every instructed bank payment of the call in no batch yet whose grant is not on hold. 409
    `no_payments_to_batch` when there is none, `payment_channel_events` for a call paid by events."""
    return batches.make_batch(db, finance, call_id, debtor)


@router.get("/api/v1/payment-batches/{batch_id}", response_model=BatchOut)
def get_batch(batch_id: uuid.UUID, db: DatabaseDep, _: Finance) -> BatchOut:
    return batches.get_batch(db, batch_id)


@router.get(
    "/api/v1/payment-batches/{batch_id}/pain.001.xml",
    response_class=Response,
    responses={**PAIN001, **problem_responses(409)},
)
def batch_file(batch_id: uuid.UUID, db: DatabaseDep, finance: FinanceMfa) -> Response:
    """The same bytes at every download; 409 `batch_cancelled` for a cancelled batch."""
    message_id, document = batches.batch_file(db, finance, batch_id)
    return attachment(document, "application/xml", f"{message_id}.xml")


@router.post("/api/v1/payment-batches/{batch_id}/sent", response_model=BatchOut, responses=problem_responses(409))
def mark_sent(batch_id: uuid.UUID, db: DatabaseDep, finance: FinanceMfa) -> BatchOut:
    """The file went to the bank: its payments are never in another file. 409 `batch_cancelled`."""
    return batches.mark_sent(db, finance, batch_id)


@router.post("/api/v1/payment-batches/{batch_id}/cancel", response_model=BatchOut, responses=problem_responses(409))
def cancel_batch(batch_id: uuid.UUID, db: DatabaseDep, finance: FinanceMfa) -> BatchOut:
    """Its payments go back to the pool for the next batch. 409 `batch_sent` once sent."""
    return batches.cancel_batch(db, finance, batch_id)


@router.get(
    "/api/v1/calls/{call_id}/payments.xml",
    response_class=Response,
    responses={**PAIN001, **problem_responses(409)},
)
def payments_file(call_id: uuid.UUID, db: DatabaseDep, finance: FinanceMfa, debtor: DebtorDep) -> Response:
    """The file of the call's open payment batch, made now when none is open (409
    `no_payments_to_batch` when there is nothing to put in it); never a payment of a sent batch."""
    message_id, document = batches.call_payments_file(db, finance, call_id, debtor)
    return attachment(document, "application/xml", f"{message_id}.xml")
