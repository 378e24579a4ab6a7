"""Reading: grants, a payment, the ledger of a call, alerts (bank files: `batches.py`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlmodel import Session, col, func, select

from services.disbursement.domain.settlement import InstructionStatus
from services.disbursement.domain.states import GrantStatus
from services.disbursement.handlers.access import visible_grant
from services.disbursement.handlers.outputs import grant_out, payee_out
from services.disbursement.handlers.settlement import settlement_out
from services.disbursement.models import Call, Grant, Instruction, Payee, PaymentAlert, Settlement
from services.disbursement.models.api import AlertOut, GrantOut, LedgerOut, PaymentOut
from shared.auth import Principal
from shared.db import Database
from shared.errors import Invalid, NotFound
from shared.http import Page, PageParams, encode_cursor
from shared.money import quantize
from shared.paging import keyset_page


def get_grant(db: Database, principal: Principal, grant_id: uuid.UUID) -> GrantOut:
    with Session(db.engine) as session:
        return grant_out(session, visible_grant(session, principal, grant_id), principal)


def list_grants(
    db: Database, principal: Principal, page: PageParams, call_id: uuid.UUID | None, status: str | None
) -> Page[GrantOut]:
    query = select(Grant)
    if not principal.is_staff:
        query = query.where(Grant.applicant_id == principal.id)
    if call_id is not None:
        query = query.where(Grant.call_id == call_id)
    if status is not None:
        query = query.where(Grant.status == status)
    with Session(db.engine) as session:
        return keyset_page(session, query, Grant.reference, page, lambda grant: grant_out(session, grant, principal))


def get_payment(db: Database, principal: Principal, instruction_id: uuid.UUID) -> PaymentOut:
    with Session(db.engine) as session:
        instruction = session.get(Instruction, instruction_id)
        if instruction is None:
            raise NotFound("no such payment instruction")
        payee = session.get(Payee, instruction.payee_id)
        grant = session.get(Grant, instruction.grant_id)
        assert payee is not None and grant is not None
        settled = session.exec(select(Settlement.id).where(Settlement.instruction_id == instruction_id)).first()
        return PaymentOut(
            id=instruction.id,
            tranche_id=instruction.tranche_id,
            grant_id=instruction.grant_id,
            call_id=instruction.call_id,
            attempt=instruction.attempt,
            amount=quantize(instruction.amount, grant.currency_exponent),
            currency=instruction.currency,
            status=instruction.status,
            reference=instruction.reference,
            remittance_info=instruction.remittance_info,
            payee=payee_out(payee, principal),
            requested_by=instruction.requested_by,
            approved_by=instruction.approved_by,
            instructed_at=instruction.instructed_at,
            settlement=settlement_out(session, instruction_id) if settled is not None else None,
        )


def ledger(db: Database, call_id: uuid.UUID) -> LedgerOut:
    """Computed from the rows: the grants of the call and its instructions by status."""
    with Session(db.engine) as session:
        call = session.get(Call, call_id)
        if call is None:
            raise NotFound("no such call")
        awarded = session.exec(
            select(func.sum(Grant.amount)).where(Grant.call_id == call_id, Grant.status != GrantStatus.cancelled.value)
        ).one()
        by_status = dict(
            session.exec(
                select(Instruction.status, func.sum(Instruction.amount))
                .where(Instruction.call_id == call_id)
                .group_by(Instruction.status)
            ).all()
        )

    def money(value: object) -> Decimal:
        return quantize(Decimal(str(value or 0)), call.currency_exponent)

    return LedgerOut(
        call_id=call_id,
        currency=call.currency,
        budget=money(call.budget),
        awarded=money(awarded),
        instructed=money(by_status.get(InstructionStatus.instructed.value)),
        disbursed=money(by_status.get(InstructionStatus.settled.value)),
        available=money(call.budget) - money(awarded),
    )


def list_alerts(db: Database, page: PageParams) -> Page[AlertOut]:
    """Newest first."""
    query = select(PaymentAlert).order_by(col(PaymentAlert.raised_at).desc(), col(PaymentAlert.id))
    if page.after is not None:
        try:
            query = query.where(col(PaymentAlert.raised_at) < datetime.fromisoformat(page.after))
        except ValueError:
            raise Invalid.field(["query", "cursor"], "not a cursor returned by this list") from None
    with Session(db.engine) as session:
        rows = list(session.exec(query.limit(page.limit + 1)).all())
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    return Page[AlertOut](
        items=[AlertOut.model_validate(r, from_attributes=True) for r in rows],
        next_cursor=encode_cursor(rows[-1].raised_at.isoformat()) if more else None,
    )
