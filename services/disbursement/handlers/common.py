"""What the disbursement use cases share: loading with visibility rules and locks, output shapes.

Lock order, everywhere: the call's row (a grant is created), then the grant's, then its
tranche's, then the instruction's; so that concurrent requests, approvals, settlements and
event handlers (two replicas) wait for each other and never deadlock.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlmodel import Session, SQLModel, col, select

from services.disbursement.domain.payee import masked
from services.disbursement.models import Grant, Instruction, Payee, Tranche
from services.disbursement.models.api import GrantOut, PayeeOut, TrancheOut
from shared.auth import Principal, Role
from shared.errors import NotFound
from shared.money import quantize

M = TypeVar("M", bound=SQLModel)
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


def now() -> datetime:
    return datetime.now(UTC)


def plain(value: Decimal) -> Decimal:
    """`50.0000` -> `50`, `33.3300` -> `33.33` (no exponent notation)."""
    normal = value.normalize()
    return normal.quantize(Decimal(1)) if normal == normal.to_integral_value() else normal


def locked(session: Session, model: type[M], key: Any) -> M | None:
    """The row, locked until the transaction ends (`SELECT … FOR UPDATE`; SQLite has one writer)."""
    return session.get(model, key, with_for_update=True, populate_existing=True)


def visible_grant(session: Session, principal: Principal, grant_id: uuid.UUID, *, lock: bool = False) -> Grant:
    """The grant if the caller may see it (staff, or its grantee); 404 otherwise."""
    grant = locked(session, Grant, grant_id) if lock else session.get(Grant, grant_id)
    if grant is None or not (
        principal.is_staff or (grant.applicant_id is not None and grant.applicant_id == principal.id)
    ):
        raise NotFound("no such grant")
    return grant


def current_payee(session: Session, grant_id: uuid.UUID) -> Payee | None:
    query = select(Payee).where(Payee.grant_id == grant_id).order_by(col(Payee.recorded_at).desc()).limit(1)
    return session.exec(query).first()


def payee_details(payee: Payee) -> dict[str, Any]:
    return {name: getattr(payee, name) for name in PAYEE_FIELDS if getattr(payee, name) is not None}


def payee_out(payee: Payee, principal: Principal) -> PayeeOut:
    """Unmasked for finance only (who pay); everyone else sees the last 4 characters."""
    unmasked = principal.role is Role.finance
    details = payee_details(payee)
    return PayeeOut(
        id=payee.id, recorded_at=payee.recorded_at, masked=not unmasked, **(details if unmasked else masked(details))
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
            )
            for t in tranches
        ],
    )
