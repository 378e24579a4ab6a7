"""The API's output models of grants and payees, built from their rows."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from services.disbursement.domain.duties import payee_status
from services.disbursement.domain.payee import masked
from services.disbursement.handlers.access import current_payee
from services.disbursement.models import Grant, Instruction, Payee, Tranche
from services.disbursement.models.api import GrantOut, PayeeOut, PayeeRecordOut, TrancheOut
from shared.auth import Principal, Role
from shared.money import quantize
from shared.privacy import sees_account_holder

HIDDEN = "***"

PAYEE_FIELDS = (
    "method",
    "account_holder",
    "account_number",
    "iban",
    "bank_name",
    "bic",
    "wallet_phone",
    "wallet_provider",
)


def plain(value: Decimal) -> Decimal:
    """`50.0000` -> `50`, `33.3300` -> `33.33` (no exponent notation)."""
    normal = value.normalize()
    return normal.quantize(Decimal(1)) if normal == normal.to_integral_value() else normal


def payee_details(payee: Payee) -> dict[str, Any]:
    return {name: getattr(payee, name) for name in PAYEE_FIELDS if getattr(payee, name) is not None}


def payee_out(payee: Payee, principal: Principal) -> PayeeOut:
    """Unmasked for finance only (who pay); everyone else sees the last 4 characters. The account
    holder's name only for the grantee and the roles that check payees (shared/privacy.py): the
    reviewers' role never reads a name here."""
    unmasked = principal.role is Role.finance
    details = payee_details(payee)
    if not sees_account_holder(principal.role, owner=principal.role is Role.applicant):
        details["account_holder"] = HIDDEN
    return PayeeOut(
        id=payee.id,
        recorded_at=payee.recorded_at,
        masked=not unmasked,
        recorded_by=payee.recorded_by,
        recorded_as=payee.recorded_as,
        status=payee_status(payee.confirmed_at).value,
        confirmed_by=payee.confirmed_by,
        confirmed_at=payee.confirmed_at,
        **(details if unmasked else masked(details)),
    )


def payee_record(payee: Payee, current: Payee | None) -> PayeeRecordOut:
    return PayeeRecordOut(
        payee_id=payee.id,
        recorded_by=payee.recorded_by,
        recorded_as=payee.recorded_as,
        recorded_at=payee.recorded_at,
        status=payee_status(payee.confirmed_at).value,
        confirmed_by=payee.confirmed_by,
        confirmed_at=payee.confirmed_at,
        current=current is not None and current.id == payee.id,
    )


def grant_out(session: Session, grant: Grant, principal: Principal) -> GrantOut:
    tranches = session.exec(select(Tranche).where(Tranche.grant_id == grant.id).order_by(col(Tranche.seq))).all()
    instructions = session.exec(
        select(Instruction).where(Instruction.grant_id == grant.id).order_by(col(Instruction.attempt))
    ).all()
    latest: dict[uuid.UUID, Instruction] = {i.tranche_id: i for i in instructions}
    attempts: dict[uuid.UUID, int] = {}
    for instruction in instructions:
        attempts[instruction.tranche_id] = attempts.get(instruction.tranche_id, 0) + 1
    payee = current_payee(session, grant.id)
    requested_for = {t.payee_id for t in tranches if t.payee_id is not None}
    records = (
        {p.id: p for p in session.exec(select(Payee).where(col(Payee.id).in_(requested_for))).all()}
        if requested_for
        else {}
    )
    exponent = grant.currency_exponent
    return GrantOut(
        id=grant.id,
        application_id=grant.application_id,
        reference=grant.reference,
        call_id=grant.call_id,
        amount=quantize(grant.amount, exponent),
        currency=grant.currency,
        status=grant.status,
        paid=quantize(grant.paid_total, exponent),
        created_at=grant.created_at,
        completed_at=grant.completed_at,
        payee=payee_out(payee, principal) if payee is not None else None,
        tranches=[
            TrancheOut(
                id=t.id,
                seq=t.seq,
                percent=plain(t.percent),
                amount=quantize(t.amount, exponent),
                milestone=t.milestone,
                status=t.status,
                requested_by=t.requested_by,
                approved_by=t.approved_by,
                paid_at=t.paid_at,
                instruction_id=latest[t.id].id if t.id in latest else None,
                attempts=attempts.get(t.id, 0),
                payee_record=payee_record(records[t.payee_id], payee) if t.payee_id in records else None,
            )
            for t in tranches
        ],
    )
