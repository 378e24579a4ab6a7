"""Four-eyes release: an officer requests an eligible tranche, a finance user who is not the
requester approves it, and the approval creates exactly one payment instruction.

The approval locks the grant's and the tranche's rows and checks the tranche is still
`requested`: of many concurrent approvals one instructs and the others get 409. Should the
check ever be passed twice, the unique indexes on instructions (one per tranche attempt, one
live per tranche) refuse the second, and the CHECK `approved_by <> requested_by` refuses a
self-approval: the rules hold in the database as well.
"""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, select

from services.disbursement.domain.batches import Channel, channel_of
from services.disbursement.domain.duties import ensure_payee_confirmed
from services.disbursement.domain.states import GrantStatus, TrancheStatus, ensure_approvable, ensure_requestable
from services.disbursement.handlers.access import current_payee, ensure_separate_duties
from services.disbursement.handlers.outputs import payee_details
from services.disbursement.models import Call, Grant, Instruction, Payee, Tranche
from services.disbursement.models.api import TrancheActionOut
from shared.auth import Principal
from shared.clock import now
from shared.db import Database
from shared.errors import Conflict, NotFound
from shared.events.disbursement import PayeeFacts, PaymentInstructedV1, TrancheApprovedV1
from shared.money import quantize
from shared.tables import locked
from shared.uow import Actor, UnitOfWork


def _locked_pair(uow: UnitOfWork, tranche_id: uuid.UUID) -> tuple[Grant, Tranche]:
    """The tranche's grant and then the tranche, both locked (the lock order)."""
    grant = uow.session.exec(
        select(Grant)
        .join(Tranche, col(Tranche.grant_id) == col(Grant.id))
        .where(Tranche.id == tranche_id)
        .with_for_update(of=Grant)
    ).first()
    if grant is None:
        raise NotFound("no such tranche")
    tranche = locked(uow.session, Tranche, tranche_id)
    assert tranche is not None
    return grant, tranche


def request_tranche(db: Database, principal: Principal, tranche_id: uuid.UUID) -> TrancheActionOut:
    with UnitOfWork(db, Actor.of(principal)) as uow:
        grant, tranche = _locked_pair(uow, tranche_id)
        payee = current_payee(uow.session, grant.id)
        before = TrancheStatus(tranche.status)
        ensure_requestable(GrantStatus(grant.status), before, payee is not None)
        assert payee is not None
        ensure_payee_confirmed(payee.confirmed_at)
        ensure_separate_duties(uow.session, tranche, principal)
        tranche.status = TrancheStatus.requested.value
        tranche.requested_by, tranche.requested_at, tranche.payee_id = principal.id, now(), payee.id
        tranche.approved_by = tranche.approved_at = None
        uow.session.add(tranche)
        uow.audit(
            "tranche.requested",
            "tranche",
            tranche.id,
            before={"status": before.value},
            after={"status": tranche.status},
        )
        uow.commit()
    return TrancheActionOut(id=tranche_id, status=TrancheStatus.requested.value)


def approve_tranche(db: Database, principal: Principal, tranche_id: uuid.UUID) -> TrancheActionOut:
    with UnitOfWork(db, Actor.of(principal)) as uow:
        session = uow.session
        grant, tranche = _locked_pair(uow, tranche_id)
        payee = current_payee(session, grant.id)
        ensure_approvable(
            GrantStatus(grant.status),
            TrancheStatus(tranche.status),
            tranche.requested_by,
            principal.id,
            payee is not None and payee.id == tranche.payee_id,
        )
        assert payee is not None and tranche.requested_by is not None
        ensure_payee_confirmed(payee.confirmed_at)  # e.g. requested before confirmation existed
        attempts, tranches = session.execute(
            select(
                select(func.count()).where(Instruction.tranche_id == tranche.id).scalar_subquery(),
                select(func.count()).where(Tranche.grant_id == grant.id).scalar_subquery(),
            )
        ).one()
        moment = now()
        amount = quantize(tranche.amount, grant.currency_exponent)
        call = session.get(Call, grant.call_id)
        assert call is not None
        channel = channel_of(call.payment_channel, payee.method)
        instruction = Instruction(
            tranche_id=tranche.id,
            grant_id=grant.id,
            call_id=grant.call_id,
            attempt=attempts + 1,
            amount=amount,
            currency=grant.currency,
            payee_id=payee.id,
            reference=grant.reference,
            remittance_info=f"EDF grant {grant.reference}, tranche {tranche.seq} of {tranches}",
            requested_by=tranche.requested_by,
            approved_by=principal.id,
            instructed_at=moment,
            channel=channel.value,
        )
        session.add(instruction)
        tranche.status, tranche.approved_by, tranche.approved_at = TrancheStatus.instructed.value, principal.id, moment
        session.add(tranche)
        uow.emit(
            TrancheApprovedV1(
                tranche_id=tranche.id,
                grant_id=grant.id,
                amount=amount,
                currency=grant.currency,
                requested_by=tranche.requested_by,
                approved_by=principal.id,
                instruction_id=instruction.id,
                approved_at=moment,
                channel=channel.value,
            ),
            tranche.id,
        )
        if channel is Channel.events:  # a bank_file payment goes out in exactly one payment batch instead
            _announce(uow, instruction, grant, payee)
        uow.audit(
            "tranche.approved",
            "tranche",
            tranche.id,
            before={"status": TrancheStatus.requested.value},
            after={"status": TrancheStatus.approved.value, "instruction_id": str(instruction.id)},
        )
        uow.audit(
            "payment.instructed",
            "payment",
            instruction.id,
            after={
                "status": tranche.status,
                "tranche_id": str(tranche.id),
                "amount": str(amount),
                "currency": grant.currency,
                "attempt": instruction.attempt,
                "channel": channel.value,
            },
        )
        try:
            uow.commit()
        except IntegrityError:  # the database's own guard: a live instruction exists already
            raise Conflict("this tranche has a payment instruction already") from None
    return TrancheActionOut(id=tranche_id, status=TrancheStatus.instructed.value, instruction_id=instruction.id)


def _announce(uow: UnitOfWork, instruction: Instruction, grant: Grant, payee: Payee) -> None:
    """`payment.instructed`: the instruction of an `events` channel, to finance systems."""
    uow.emit(
        PaymentInstructedV1(
            instruction_id=instruction.id,
            tranche_id=instruction.tranche_id,
            grant_id=grant.id,
            call_id=grant.call_id,
            reference=grant.reference,
            amount=instruction.amount,
            currency=grant.currency,
            attempt=instruction.attempt,
            payee=PayeeFacts(**payee_details(payee)),
            remittance_info=instruction.remittance_info,
            instructed_at=instruction.instructed_at,
            channel=Channel.events.value,
        ),
        instruction.id,
    )
