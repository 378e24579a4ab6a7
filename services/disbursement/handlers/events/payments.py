"""Event handlers: what finance systems report about payment instructions (`settle` decides)."""

from __future__ import annotations

import uuid

from services.disbursement.domain.settlement import Outcome
from services.disbursement.handlers.settlement import Report, settle
from shared.errors import NotFound
from shared.events.envelope import CloudEvent
from shared.events.finance import PaymentFailedV1, PaymentSettledV1
from shared.inbox import UnprocessableEvent
from shared.uow import UnitOfWork


def payment_settled(uow: UnitOfWork, _: CloudEvent, data: PaymentSettledV1) -> None:
    _settle_event(
        uow,
        data.instruction_id,
        Report(
            outcome=Outcome.settled, at=data.settled_at, bank_reference=data.bank_reference, reason=None, source="event"
        ),
    )


def payment_failed(uow: UnitOfWork, _: CloudEvent, data: PaymentFailedV1) -> None:
    _settle_event(
        uow,
        data.instruction_id,
        Report(outcome=Outcome.failed, at=data.failed_at, bank_reference=None, reason=data.reason, source="event"),
    )


def _settle_event(uow: UnitOfWork, instruction_id: uuid.UUID, report: Report) -> None:
    try:
        settle(uow, instruction_id, report)
    except NotFound:
        raise UnprocessableEvent(f"no payment instruction {instruction_id} here") from None
