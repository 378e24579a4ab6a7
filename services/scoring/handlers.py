"""Use cases of the scoring service: one unit of work each."""

from __future__ import annotations

from services.scoring import domain
from services.scoring.models import Call
from shared.events.calls import CallClosedV1, CallOpenedV1
from shared.events.envelope import CloudEvent, EventData
from shared.replicas import record_call_closed, record_call_opened
from shared.uow import UnitOfWork


def call_opened(uow: UnitOfWork, _: CloudEvent, data: EventData) -> None:
    assert isinstance(data, CallOpenedV1)
    record_call_opened(uow, Call, data, domain.call_copy)


def call_closed(uow: UnitOfWork, _: CloudEvent, data: EventData) -> None:
    assert isinstance(data, CallClosedV1)
    record_call_closed(uow, Call, data)
