"""Event handlers: what finance systems report about payment instructions (`settle` decides).

A report that cannot be applied is answered with `finance_report.rejected`: an unknown
instruction or an unreadable report from the consumer's dead-letter path (`reject_report`, in
the dead letter's transaction), a contradiction from here (in the alert's transaction).
"""

from __future__ import annotations

import uuid
from contextlib import suppress
from typing import Any

from services.disbursement.domain.settlement import Outcome, Verdict
from services.disbursement.handlers.settlement import Report, settle
from shared.errors import NotFound
from shared.events.disbursement import FinanceReportRejectedV1, RejectionReason
from shared.events.envelope import IncomingCloudEvent
from shared.events.finance import PaymentFailedV1, PaymentSettledV1
from shared.inbox import Rejection, UnprocessableEvent
from shared.uow import UnitOfWork

REJECTIONS = uuid.UUID("7d1c2b9e-4a35-5f60-8e21-3b9f0c6d5a48")  # namespace of rejection event ids


def payment_settled(uow: UnitOfWork, event: IncomingCloudEvent, data: PaymentSettledV1) -> None:
    _settle_event(
        uow,
        event,
        data.instruction_id,
        Report(
            outcome=Outcome.settled, at=data.settled_at, bank_reference=data.bank_reference, reason=None, source="event"
        ),
    )


def payment_failed(uow: UnitOfWork, event: IncomingCloudEvent, data: PaymentFailedV1) -> None:
    _settle_event(
        uow,
        event,
        data.instruction_id,
        Report(outcome=Outcome.failed, at=data.failed_at, bank_reference=None, reason=data.reason, source="event"),
    )


def reject_report(uow: UnitOfWork, rejection: Rejection) -> None:
    """Answers a report that cannot be applied, once per report and reason: the event id is
    derived from both, and the outbox holds an id once."""
    reason = RejectionReason(rejection.reason)
    instruction_id = _instruction_id(rejection.data)
    uow.emit(
        FinanceReportRejectedV1(
            report_id=rejection.event_id, report_source=rejection.source, instruction_id=instruction_id, reason=reason
        ),
        instruction_id or rejection.key,
        event_id=uuid.uuid5(REJECTIONS, f"{rejection.key}\n{reason.value}"),
    )
    uow.audit(
        "finance_report.rejected",
        "finance_report",
        rejection.key,
        after={"reason": reason.value, "instruction_id": str(instruction_id) if instruction_id else None},
    )


def _settle_event(uow: UnitOfWork, event: IncomingCloudEvent, instruction_id: uuid.UUID, report: Report) -> None:
    try:
        verdict = settle(uow, instruction_id, report)
    except NotFound:
        raise UnprocessableEvent(
            f"no payment instruction {instruction_id} here", reason=RejectionReason.unknown_instruction.value
        ) from None
    if verdict is Verdict.conflict:  # the alert is kept by `settle`; the finance system is told
        rejection = Rejection(
            reason=RejectionReason.contradiction.value,
            event_id=event.id,
            key=event.key,
            source=event.source,
            data={"instruction_id": str(instruction_id)},
        )
        reject_report(uow, rejection)


def _instruction_id(data: Any) -> uuid.UUID | None:
    """The report's `instruction_id` if it can be read."""
    if isinstance(data, dict) and isinstance(data.get("instruction_id"), str):
        with suppress(ValueError):
            return uuid.UUID(data["instruction_id"])
    return None
