"""Thin routes of grants: request -> command -> handler -> response."""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter

from services.disbursement.api.deps import DatabaseDep, PageDep, PayeeConfirmer, PayeeEditor, SignedIn
from services.disbursement.handlers import payees, reports
from services.disbursement.models.api import GrantOut, PayeeConfirmIn, PayeeIn, PayeeOut
from shared.http import Page

router = APIRouter(prefix="/api/v1/grants", tags=["disbursement"])


@router.get("", response_model=Page[GrantOut])
def list_grants(
    db: DatabaseDep,
    principal: SignedIn,
    page: PageDep,
    call_id: uuid.UUID | None = None,
    status: Literal["active", "on_hold", "completed", "cancelled"] | None = None,
) -> Page[GrantOut]:
    """Staff see every grant, a grantee their own."""
    return reports.list_grants(db, principal, page, call_id, status)


@router.get("/{grant_id}", response_model=GrantOut)
def get_grant(grant_id: uuid.UUID, db: DatabaseDep, principal: SignedIn) -> GrantOut:
    return reports.get_grant(db, principal, grant_id)


@router.put("/{grant_id}/payee", response_model=PayeeOut)
def record_payee(grant_id: uuid.UUID, body: PayeeIn, db: DatabaseDep, principal: PayeeEditor) -> PayeeOut:
    """The grantee (their own grant) or an officer; shown masked in the answer. Details an
    officer records are `pending` until the grantee or another officer confirms them."""
    return payees.record_payee(db, principal, grant_id, body)


@router.post("/{grant_id}/payee/confirm", response_model=PayeeOut)
def confirm_payee(grant_id: uuid.UUID, body: PayeeConfirmIn, db: DatabaseDep, principal: PayeeConfirmer) -> PayeeOut:
    """The grantee (their own grant) or an officer who did not record them confirms the pending
    payout details named by `payee_id`: 403 `same_person` for the officer who recorded them, 409
    `payee_not_pending` (nothing waits) or `payee_changed` (other details than those named)."""
    return payees.confirm_payee(db, principal, grant_id, body)
