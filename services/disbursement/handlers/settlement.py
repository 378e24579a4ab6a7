"""Settlement: what finance systems report about payment instructions, by event or by HTTP.

Both paths go through `settle`, in one transaction that locks the grant, the tranche and the
instruction (the lock order). The first report decides the instruction; repeating it changes
nothing; a contradicting one (a late `settled` for an instruction that failed and may have
been instructed again) changes nothing either and is kept as an alert. A settled instruction
pays its tranche once: `settlements` holds one row per instruction and the grant's
`paid_total` cannot pass its amount.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from services.disbursement.domain.settlement import InstructionStatus, Outcome, Verdict, alert_kind, judge
from services.disbursement.domain.states import GrantStatus, TrancheStatus, all_paid
from services.disbursement.models import Grant, Instruction, PaymentAlert, Settlement, Tranche
from services.disbursement.models.api import SettlementIn, SettlementOut
from shared.auth import Principal
from shared.clock import now
from shared.db import Database
from shared.errors import Conflict, NotFound
from shared.events.disbursement import GrantCompletedV1, TranchePaidV1
from shared.money import quantize
from shared.tables import locked
from shared.uow import Actor, UnitOfWork

log = logging.getLogger("edf.disbursement.settlement")


@dataclass(frozen=True)
class Report:
    outcome: Outcome
    at: datetime
    bank_reference: str | None
    reason: str | None
    source: str  # api | event | bank_file (a status file, handlers/status_reports.py)


def settle(uow: UnitOfWork, instruction_id: uuid.UUID, report: Report) -> Verdict:
    session = uow.session
    found = session.get(Instruction, instruction_id)
    if found is None:
        raise NotFound("no such payment instruction")
    grant = locked(session, Grant, found.grant_id)
    tranche = locked(session, Tranche, found.tranche_id)
    instruction = locked(session, Instruction, instruction_id)
    assert grant is not None and tranche is not None and instruction is not None
    current = InstructionStatus(instruction.status)
    verdict = judge(current, report.outcome)
    if verdict is Verdict.conflict:
        _raise_alert(uow, instruction, alert_kind(current, report.outcome), report)
    if verdict is not Verdict.apply:
        return verdict
    session.add(
        Settlement(
            instruction_id=instruction.id,
            outcome=report.outcome.value,
            reported_at=report.at,
            bank_reference=report.bank_reference,
            reason=report.reason,
            source=report.source,
            recorded_by=uow.actor.id,
            recorded_at=now(),
        )
    )
    assert tranche.status == TrancheStatus.instructed.value  # its live instruction is this one
    instruction.status = report.outcome.value
    session.add(instruction)
    if report.outcome is Outcome.settled:
        _paid(uow, grant, tranche, instruction, report.at)
    else:
        tranche.status = TrancheStatus.failed.value
        uow.audit("payment.failed", "payment", instruction.id, after={"status": "failed", "reason": report.reason})
        uow.audit(
            "tranche.failed",
            "tranche",
            tranche.id,
            before={"status": TrancheStatus.instructed.value},
            after={"status": tranche.status, "instruction_id": str(instruction.id)},
        )
    session.add(tranche)
    return verdict


def _paid(uow: UnitOfWork, grant: Grant, tranche: Tranche, instruction: Instruction, at: datetime) -> None:
    session = uow.session
    amount = quantize(instruction.amount, grant.currency_exponent)
    tranche.status, tranche.paid_at = TrancheStatus.paid.value, at
    grant.paid_total = grant.paid_total + amount  # CHECK paid_total <= amount
    uow.emit(
        TranchePaidV1(
            tranche_id=tranche.id,
            grant_id=grant.id,
            amount=amount,
            currency=instruction.currency,
            paid_at=at,
            instruction_id=instruction.id,
        ),
        tranche.id,
    )
    uow.audit("payment.settled", "payment", instruction.id, after={"status": "settled"})
    uow.audit(
        "tranche.paid",
        "tranche",
        tranche.id,
        before={"status": TrancheStatus.instructed.value},
        after={"status": tranche.status, "amount": str(amount), "currency": instruction.currency},
    )
    session.add(tranche)
    session.flush()
    others = session.exec(select(Tranche.status).where(Tranche.grant_id == grant.id)).all()
    if all_paid(TrancheStatus(s) for s in others):
        before = grant.status
        grant.status, grant.completed_at = GrantStatus.completed.value, now()
        uow.emit(
            GrantCompletedV1(
                grant_id=grant.id,
                application_id=grant.application_id,
                call_id=grant.call_id,
                completed_at=grant.completed_at,
            ),
            grant.id,
        )
        uow.audit("grant.completed", "grant", grant.id, before={"status": before}, after={"status": grant.status})
    session.add(grant)


def _raise_alert(uow: UnitOfWork, instruction: Instruction, kind: str, report: Report) -> None:
    log.warning(
        "payment report contradicts an earlier one: nothing changed, alert kept",
        extra={"instruction_id": str(instruction.id), "kind": kind, "source": report.source},
    )
    known = uow.session.exec(
        select(PaymentAlert).where(PaymentAlert.instruction_id == instruction.id, PaymentAlert.kind == kind)
    ).first()
    if known is not None:
        return
    uow.session.add(
        PaymentAlert(
            instruction_id=instruction.id,
            kind=kind,
            reported_at=report.at,
            bank_reference=report.bank_reference,
            reason=report.reason,
            source=report.source,
            raised_at=now(),
        )
    )
    uow.audit("payment.alert", "payment", instruction.id, after={"kind": kind, "source": report.source})


def record_settlement(
    db: Database, principal: Principal, instruction_id: uuid.UUID, body: SettlementIn
) -> SettlementOut:
    report = Report(
        outcome=Outcome(body.status), at=body.at, bank_reference=body.bank_reference, reason=body.reason, source="api"
    )
    with UnitOfWork(db, Actor.of(principal)) as uow:
        verdict = settle(uow, instruction_id, report)
        uow.commit()  # an alert is kept even though the answer is 409
        out = settlement_out(uow.session, instruction_id)
    if verdict is Verdict.conflict:
        raise Conflict(
            f"this instruction was reported {out.status} before: nothing changed, and this report is "
            f"kept as an alert for finance to look into"
        )
    return out


def settlement_out(session: Session, instruction_id: uuid.UUID) -> SettlementOut:
    settlement = session.exec(select(Settlement).where(Settlement.instruction_id == instruction_id)).one()
    instruction = session.get(Instruction, instruction_id)
    assert instruction is not None
    tranche = session.get(Tranche, instruction.tranche_id)
    assert tranche is not None
    return SettlementOut(
        instruction_id=instruction_id,
        status=settlement.outcome,
        at=settlement.reported_at,
        bank_reference=settlement.bank_reference,
        reason=settlement.reason,
        tranche_id=tranche.id,
        tranche_status=tranche.status,
    )
