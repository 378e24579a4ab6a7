"""Reading: grants, a payment, the ledger of a call, the pain.001 file, alerts."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime
from decimal import Decimal

from sqlmodel import Session, col, func, select

from services.disbursement.domain.pain001 import CreditTransfer, Debtor, credit_transfer_file
from services.disbursement.domain.settlement import InstructionStatus
from services.disbursement.domain.states import GrantStatus
from services.disbursement.handlers.access import visible_grant
from services.disbursement.handlers.outputs import grant_out, payee_out
from services.disbursement.handlers.settlement import settlement_out
from services.disbursement.models import Call, Grant, Instruction, Payee, PaymentAlert, Settlement
from services.disbursement.models.api import AlertOut, GrantOut, LedgerOut, PaymentOut
from shared.auth import Principal
from shared.clock import now
from shared.db import Database
from shared.errors import Conflict, Invalid, NotFound
from shared.http import Page, PageParams, encode_cursor
from shared.money import quantize
from shared.paging import keyset_page
from shared.uow import Actor, UnitOfWork


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


def payments_file(db: Database, actor: Actor, call_id: uuid.UUID, debtor: Debtor) -> tuple[str, bytes]:
    """(message id, pain.001 document) of the call's instructed bank payments not settled yet.

    Reading it changes nothing but the audit trail (who took which file): a bank dedupes by
    `EndToEndId`, the instruction id, should a file be sent twice."""
    with UnitOfWork(db, actor) as uow:
        call = uow.session.get(Call, call_id)
        if call is None:
            raise NotFound("no such call")
        rows = uow.session.exec(
            select(Instruction, Payee)
            .join(Payee, col(Payee.id) == col(Instruction.payee_id))
            .where(
                Instruction.call_id == call_id,
                Instruction.status == InstructionStatus.instructed.value,
                Payee.method == "bank",
            )
            .order_by(col(Instruction.instructed_at), col(Instruction.id))
        ).all()
        if not rows:
            raise Conflict("no instructed bank payments of this call await settlement: there is no file to make")
        moment = now()
        message_id = f"{call.code}-{moment:%Y%m%d%H%M%S}-{secrets.token_hex(2).upper()}"
        transfers = [
            CreditTransfer(
                instruction_id=i.id,
                amount=i.amount,
                account_holder=p.account_holder,
                remittance_info=i.remittance_info,
                iban=p.iban,
                account_number=p.account_number,
                bic=p.bic,
                bank_name=p.bank_name,
            )
            for i, p in rows
        ]
        document = credit_transfer_file(
            message_id=message_id,
            created_at=moment,
            execution_date=moment.date(),
            currency=call.currency,
            exponent=call.currency_exponent,
            debtor=debtor,
            transfers=transfers,
        )
        uow.audit(
            "payments_file.made",
            "call",
            call_id,
            after={
                "message_id": message_id,
                "transactions": len(transfers),
                "instruction_ids": [str(t.instruction_id) for t in transfers],
            },
        )
        uow.commit()
    return message_id, document


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
