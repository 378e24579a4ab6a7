"""Payment batches of a `bank_file` call: make one, read it and its file, mark it sent, cancel it.

A batch takes every instructed, unsettled bank payment of the call (of the `bank_file` channel)
that is in no live batch and whose grant is not on hold, and freezes its pain.001 file: every
download is the same bytes. The partial unique index on `payment_batch_items` keeps a payment
in at most one live batch; two batches made at the same moment race on it and the loser, its
transaction refused by the database, reads the pool again (a batch of what is left, or 409).

`batch_instruction_ids` is for other use cases (bank status reports matched to a batch).
"""

from __future__ import annotations

import secrets
import uuid
from decimal import Decimal

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from services.disbursement.domain import batches as rules
from services.disbursement.domain.batches import BatchStatus, Channel
from services.disbursement.domain.pain001 import CreditTransfer, Debtor, credit_transfer_file
from services.disbursement.domain.settlement import InstructionStatus
from services.disbursement.domain.states import GrantStatus
from services.disbursement.handlers.status_reports import BatchPayments
from services.disbursement.models import BatchPayment, Call, Grant, Instruction, Payee, PaymentBatch
from services.disbursement.models.api import BatchOut
from shared.auth import Principal
from shared.clock import now
from shared.db import Database
from shared.errors import NotFound
from shared.money import quantize
from shared.tables import locked
from shared.uow import Actor, UnitOfWork

ATTEMPTS = 5  # a lost race reads the pool again; each retry finds fewer payments or none


def batch_instruction_ids(session: Session, batch_id: uuid.UUID) -> list[uuid.UUID]:
    """The instruction ids of a batch's file, in its order (also after it was cancelled); 404 for
    an unknown batch. The `EndToEndId` of each in the file is its 32 hex digits (`id.hex`)."""
    if session.get(PaymentBatch, batch_id) is None:
        raise NotFound("no such payment batch")
    query = select(BatchPayment.instruction_id).where(BatchPayment.batch_id == batch_id)
    return list(session.exec(query.order_by(col(BatchPayment.seq))).all())


def batch_payments(session: Session, batch_id: uuid.UUID) -> BatchPayments | None:
    """What a bank status file about this batch may name: its payments (also of a cancelled
    batch: the bank may have received the file) and its pain.001 message id; None: no such batch."""
    batch = session.get(PaymentBatch, batch_id)
    if batch is None:
        return None
    return BatchPayments(frozenset(batch_instruction_ids(session, batch_id)), batch.message_id)


def make_batch(db: Database, principal: Principal, call_id: uuid.UUID, debtor: Debtor) -> BatchOut:
    for attempt in range(ATTEMPTS):
        try:
            with UnitOfWork(db, Actor.of(principal)) as uow:
                batch = _new_batch(uow, principal.id, call_id, debtor)
                uow.commit()
                return _out(uow.session, batch)
        except IntegrityError:  # another batch took some of these payments first
            if attempt == ATTEMPTS - 1:
                raise rules.nothing_to_batch() from None
    raise AssertionError("unreachable")


def get_batch(db: Database, batch_id: uuid.UUID) -> BatchOut:
    with Session(db.engine) as session:
        return _out(session, _found(session, batch_id))


def batch_file(db: Database, principal: Principal, batch_id: uuid.UUID) -> tuple[str, bytes]:
    """(message id, the file as made); the audit trail says who took it. 409 once cancelled."""
    with UnitOfWork(db, Actor.of(principal)) as uow:
        batch = _found(uow.session, batch_id)
        if BatchStatus(batch.status) is BatchStatus.cancelled:
            raise rules.cancelled_file()
        _downloaded(uow, batch)
        uow.commit()
        return batch.message_id, batch.document


def mark_sent(db: Database, principal: Principal, batch_id: uuid.UUID) -> BatchOut:
    with UnitOfWork(db, Actor.of(principal)) as uow:
        batch = _found(uow.session, batch_id, lock=True)
        before = BatchStatus(batch.status)
        rules.ensure_sendable(before)
        if before is BatchStatus.open:
            batch.status, batch.sent_by, batch.sent_at = BatchStatus.sent.value, principal.id, now()
            uow.session.add(batch)
            uow.audit(
                "payment_batch.sent",
                "payment_batch",
                batch.id,
                before={"status": before.value},
                after={"status": batch.status, "message_id": batch.message_id},
            )
        uow.commit()
        return _out(uow.session, batch)


def cancel_batch(db: Database, principal: Principal, batch_id: uuid.UUID) -> BatchOut:
    """Its payments go back to the pool (their memberships released, kept as history)."""
    with UnitOfWork(db, Actor.of(principal)) as uow:
        session = uow.session
        batch = _found(session, batch_id, lock=True)
        before = BatchStatus(batch.status)
        rules.ensure_cancellable(before)
        if before is BatchStatus.open:
            moment = now()
            batch.status, batch.cancelled_by, batch.cancelled_at = BatchStatus.cancelled.value, principal.id, moment
            session.add(batch)
            items = session.exec(
                select(BatchPayment).where(BatchPayment.batch_id == batch.id, col(BatchPayment.released_at).is_(None))
            ).all()
            for item in items:
                item.released_at = moment
                session.add(item)
            uow.audit(
                "payment_batch.cancelled",
                "payment_batch",
                batch.id,
                before={"status": before.value},
                after={"status": batch.status, "released": len(items)},
            )
        uow.commit()
        return _out(session, batch)


def call_payments_file(db: Database, principal: Principal, call_id: uuid.UUID, debtor: Debtor) -> tuple[str, bytes]:
    """`GET /calls/{id}/payments.xml`: the file of the call's open batch (the oldest, should there
    be several), made now when none is open. A sent batch's payments are never in it."""
    for attempt in range(ATTEMPTS):
        try:
            with UnitOfWork(db, Actor.of(principal)) as uow:
                call = _batchable_call(uow.session, call_id)
                batch = uow.session.exec(
                    select(PaymentBatch)
                    .where(PaymentBatch.call_id == call.id, PaymentBatch.status == BatchStatus.open.value)
                    .order_by(col(PaymentBatch.created_at), col(PaymentBatch.id))
                    .limit(1)
                ).first()
                if batch is None:
                    batch = _new_batch(uow, principal.id, call_id, debtor)
                _downloaded(uow, batch)
                uow.commit()
                return batch.message_id, batch.document
        except IntegrityError:
            if attempt == ATTEMPTS - 1:
                raise rules.nothing_to_batch() from None
    raise AssertionError("unreachable")


def _batchable_call(session: Session, call_id: uuid.UUID) -> Call:
    call = session.get(Call, call_id)
    if call is None:
        raise NotFound("no such call")
    rules.ensure_batchable_call(call.payment_channel)
    return call


def _pool(session: Session, call_id: uuid.UUID) -> list[tuple[Instruction, Payee]]:
    """Instructed, unsettled bank-file payments of the call in no live batch, grant not on hold."""
    in_a_batch = (
        select(BatchPayment.id)
        .where(BatchPayment.instruction_id == Instruction.id, col(BatchPayment.released_at).is_(None))
        .exists()
    )
    query = (
        select(Instruction, Payee)
        .join(Payee, col(Payee.id) == col(Instruction.payee_id))
        .join(Grant, col(Grant.id) == col(Instruction.grant_id))
        .where(
            Instruction.call_id == call_id,
            Instruction.status == InstructionStatus.instructed.value,
            Instruction.channel == Channel.bank_file.value,
            Payee.method == "bank",
            Grant.status == GrantStatus.active.value,
            ~in_a_batch,
        )
        .order_by(col(Instruction.instructed_at), col(Instruction.id))
    )
    return [(i, p) for i, p in session.exec(query).all()]


def _new_batch(uow: UnitOfWork, created_by: uuid.UUID, call_id: uuid.UUID, debtor: Debtor) -> PaymentBatch:
    session = uow.session
    call = _batchable_call(session, call_id)
    rows = _pool(session, call_id)
    if not rows:
        raise rules.nothing_to_batch()
    moment = now().replace(microsecond=0)
    message_id = rules.message_id(call.code, moment, secrets.token_hex(3).upper())
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
    total = quantize(sum((i.amount for i, _ in rows), Decimal(0)), call.currency_exponent)
    batch = PaymentBatch(
        call_id=call.id,
        message_id=message_id,
        payments=len(rows),
        total=total,
        currency=call.currency,
        document=document,
        created_by=created_by,
        created_at=moment,
    )
    session.add(batch)
    session.flush()
    session.add_all(BatchPayment(batch_id=batch.id, instruction_id=i.id, seq=n) for n, (i, _) in enumerate(rows, 1))
    session.flush()  # the live-membership index decides here, before anything else is written
    uow.audit(
        "payment_batch.made",
        "payment_batch",
        batch.id,
        after={
            "status": batch.status,
            "call_id": str(call.id),
            "message_id": message_id,
            "payments": batch.payments,
            "total": str(total),
            "currency": call.currency,
            "instruction_ids": [str(i.id) for i, _ in rows],
        },
    )
    return batch


def _downloaded(uow: UnitOfWork, batch: PaymentBatch) -> None:
    uow.audit(
        "payment_batch.downloaded",
        "payment_batch",
        batch.id,
        after={"message_id": batch.message_id, "status": batch.status},
    )


def _found(session: Session, batch_id: uuid.UUID, *, lock: bool = False) -> PaymentBatch:
    batch = locked(session, PaymentBatch, batch_id) if lock else session.get(PaymentBatch, batch_id)
    if batch is None:
        raise NotFound("no such payment batch")
    return batch


def _out(session: Session, batch: PaymentBatch) -> BatchOut:
    call = session.get(Call, batch.call_id)
    assert call is not None
    return BatchOut(
        id=batch.id,
        call_id=batch.call_id,
        message_id=batch.message_id,
        status=BatchStatus(batch.status).value,
        payments=batch.payments,
        total=quantize(batch.total, call.currency_exponent),
        currency=batch.currency,
        instruction_ids=batch_instruction_ids(session, batch.id),
        created_by=batch.created_by,
        created_at=batch.created_at,
        sent_by=batch.sent_by,
        sent_at=batch.sent_at,
        cancelled_by=batch.cancelled_by,
        cancelled_at=batch.cancelled_at,
    )
