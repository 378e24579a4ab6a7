"""Thin routes of grants: request -> command -> handler -> response."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends

from services.disbursement.handlers import payees, reports
from services.disbursement.models.api import GrantOut, PayeeIn, PayeeOut
from shared.app import Db
from shared.auth import Principal, Role, current_principal, require_roles
from shared.http import Page, PageParams, page_params

router = APIRouter(prefix="/api/v1/grants", tags=["disbursement"])
SignedIn = Annotated[Principal, Depends(current_principal)]
PayeeEditor = Annotated[Principal, Depends(require_roles(Role.applicant, Role.officer))]


@router.get("", response_model=Page[GrantOut])
def list_grants(
    db: Db,
    principal: SignedIn,
    page: Annotated[PageParams, Depends(page_params)],
    call_id: uuid.UUID | None = None,
    status: Literal["active", "on_hold", "completed", "cancelled"] | None = None,
) -> Page[GrantOut]:
    """Staff see every grant, a grantee their own."""
    return reports.list_grants(db, principal, page, call_id, status)


@router.get("/{grant_id}", response_model=GrantOut)
def get_grant(grant_id: uuid.UUID, db: Db, principal: SignedIn) -> GrantOut:
    return reports.get_grant(db, principal, grant_id)


@router.put("/{grant_id}/payee", response_model=PayeeOut)
def record_payee(grant_id: uuid.UUID, body: PayeeIn, db: Db, principal: PayeeEditor) -> PayeeOut:
    """The grantee (their own grant) or an officer; shown masked in the answer."""
    return payees.record_payee(db, principal, grant_id, body)
