"""Applying a bank status file (pain.002, camt.054, camt.053) to the payments of a batch.

The file is read by `domain.bank_reports` (pure); every entry that names a payment of the
batch goes through `settlement.settle`, the same path as finance events and the settlement
API, one transaction per payment (the lock order of `settle`), so the same file uploaded again
changes nothing: its payments come back as `already_known`. An entry is only applied when its
amount and currency (when the file has them) are the instruction's; otherwise it is a
conflict and nothing changes. Entries naming no payment of this batch are counted as
`unmatched`. Each upload is kept in the audit trail with its SHA-256, kind, version, message
id and counts (never the file's contents: it carries other people's account movements).

Which payments a batch holds comes from a `BatchLookup` (the payment batch table's owner
provides it): `None` when there is no such batch (404).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Set
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from services.disbursement.domain.bank_reports import Entry, EntryOutcome, ReportError, StatusReport, read_report
from services.disbursement.domain.settlement import Outcome, Verdict
from services.disbursement.handlers.settlement import Report, settle
from services.disbursement.models import Instruction
from services.disbursement.models.status_reports import ReportConflict, StatusReportOut
from shared.auth import Principal
from shared.clock import now
from shared.db import Database
from shared.errors import Invalid, NotFound
from shared.uow import Actor, UnitOfWork

SOURCE = "bank_file"


@dataclass(frozen=True)
class BatchPayments:
    instruction_ids: frozenset[uuid.UUID]
    message_id: str | None = None  # the batch's pain.001 MsgId: a pain.002 about another message is refused


BatchLookup = Callable[[Session, uuid.UUID], "BatchPayments | Set[uuid.UUID] | None"]


@dataclass
class _Tally:
    settled: list[uuid.UUID] = field(default_factory=list)
    failed: list[uuid.UUID] = field(default_factory=list)
    already_known: list[uuid.UUID] = field(default_factory=list)
    pending: list[uuid.UUID] = field(default_factory=list)
    conflicts: list[ReportConflict] = field(default_factory=list)
    unmatched: int = 0

    def add(self, bucket: list[Any], item: Any) -> None:
        if item not in bucket:
            bucket.append(item)


def read(data: bytes) -> StatusReport:
    try:
        return read_report(data)
    except ReportError as error:
        raise Invalid(error.detail, [{"loc": ["file"], "msg": error.detail}], code=error.code) from None


def apply_status_report(
    db: Database, principal: Principal, batch_id: uuid.UUID, data: bytes, lookup: BatchLookup
) -> StatusReportOut:
    digest = hashlib.sha256(data).hexdigest()
    with Session(db.engine) as session:
        found = lookup(session, batch_id)
    if found is None:
        raise NotFound("no such payment batch")
    batch = found if isinstance(found, BatchPayments) else BatchPayments(frozenset(found))
    report = read(data)
    if report.original_message_id and batch.message_id and report.original_message_id != batch.message_id:
        raise Invalid(
            "this payment status report answers another pain.001 message than this batch's",
            [{"loc": ["file"], "msg": "OrgnlMsgId is not the batch's message id"}],
            code="other_message",
        )
    tally = _Tally()
    for entry, instruction_id in _matched(report, batch, tally):
        _apply(db, principal, entry, instruction_id, tally)
    out = StatusReportOut(
        settled=tally.settled,
        failed=tally.failed,
        already_known=tally.already_known,
        unmatched=tally.unmatched,
        pending=tally.pending,
        conflicts=tally.conflicts,
        kind=report.kind,
        version=report.version,
        message_id=report.message_id,
        sha256=digest,
    )
    with UnitOfWork(db, Actor.of(principal)) as uow:
        uow.audit(
            "status_report.uploaded",
            "payment_batch",
            batch_id,
            after={
                "sha256": digest,
                "size": len(data),
                "kind": report.kind,
                "version": report.version,
                "message_id": report.message_id,
                "settled": len(out.settled),
                "failed": len(out.failed),
                "already_known": len(out.already_known),
                "pending": len(out.pending),
                "conflicts": len(out.conflicts),
                "unmatched": out.unmatched,
            },
        )
        uow.commit()
    return out


def _matched(report: StatusReport, batch: BatchPayments, tally: _Tally) -> list[tuple[Entry, uuid.UUID]]:
    """(entry, instruction id) for each entry naming a payment of the batch, in file order."""
    if report.group_rejection is not None:
        rejection = report.group_rejection
        entry = Entry(
            references=(),
            outcome=EntryOutcome.failed,
            status=rejection.status,
            reason=rejection.reason or rejection.status,
            at=rejection.at,
        )
        return [(entry, instruction_id) for instruction_id in sorted(batch.instruction_ids)]
    matched = []
    for entry in report.entries:
        instruction_id = next((i for i in entry.instruction_ids() if i in batch.instruction_ids), None)
        if instruction_id is None:
            tally.unmatched += 1
        else:
            matched.append((entry, instruction_id))
    return matched


def _apply(db: Database, principal: Principal, entry: Entry, instruction_id: uuid.UUID, tally: _Tally) -> None:
    if entry.outcome is EntryOutcome.pending:
        tally.add(tally.pending, instruction_id)
        return
    with UnitOfWork(db, Actor.of(principal)) as uow:
        instruction = uow.session.get(Instruction, instruction_id)
        if instruction is None:  # the batch names an instruction that does not exist
            tally.unmatched += 1
            return
        mismatch = _mismatch(instruction, entry)
        if mismatch is not None:
            tally.add(tally.conflicts, ReportConflict(instruction_id=instruction_id, reason=mismatch))
            return
        outcome = Outcome.settled if entry.outcome is EntryOutcome.settled else Outcome.failed
        report = Report(
            outcome=outcome,
            at=entry.at or now(),
            bank_reference=entry.bank_reference,
            reason=entry.reason if outcome is Outcome.failed else None,
            source=SOURCE,
        )
        before = instruction.status
        verdict = settle(uow, instruction_id, report)
        uow.commit()  # an alert is kept for a contradicting report, as by the API
    if verdict is Verdict.apply:
        tally.add(tally.settled if outcome is Outcome.settled else tally.failed, instruction_id)
    elif verdict is Verdict.repeat:
        if instruction_id not in tally.settled and instruction_id not in tally.failed:
            tally.add(tally.already_known, instruction_id)
    else:
        reason = f"{outcome.value}_after_{before}"
        tally.add(tally.conflicts, ReportConflict(instruction_id=instruction_id, reason=reason))


def _mismatch(instruction: Instruction, entry: Entry) -> str | None:
    """Exact: 9000.00 is 9000 but 9000.001 is not (a bank never rounds what it moved)."""
    if entry.currency is not None and entry.currency.strip().upper() != instruction.currency:
        return "currency_mismatch"
    if entry.amount is not None and entry.amount != Decimal(instruction.amount):
        return "amount_mismatch"
    return None
