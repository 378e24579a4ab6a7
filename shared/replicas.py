"""Local copies of other services' aggregates (event-carried state), kept by consumers."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlmodel import Session, SQLModel

from shared.events.calls import CallClosedV1, CallOpenedV1
from shared.events.envelope import IncomingCloudEvent
from shared.inbox import Handler, NotYetApplicable
from shared.uow import UnitOfWork


def upsert_copy(
    session: Session, model: type[SQLModel], key: uuid.UUID, fields: dict[str, Any]
) -> tuple[dict[str, Any] | None, SQLModel]:
    """Creates or updates the copy `key` with `fields`; returns (fields before, the row)."""
    row = session.get(model, key)
    before: dict[str, Any] | None = None
    if row is None:
        row = model(id=key, **fields)
    else:
        before = {name: getattr(row, name) for name in fields}
        for name, value in fields.items():
            setattr(row, name, value)
    session.add(row)
    return before, row


def record_call_opened(
    uow: UnitOfWork, model: type[SQLModel], call: CallOpenedV1, copy: Callable[[CallOpenedV1], dict[str, Any]]
) -> None:
    """Keeps this service's copy of a call from `call.opened` (a replay updates it in place)."""
    before, _ = upsert_copy(uow.session, model, call.call_id, copy(call))
    uow.audit("call.copied", "call", call.call_id, before=before, after={"status": "open", "code": call.code})


def record_call_closed(uow: UnitOfWork, model: type[SQLModel], closed: CallClosedV1) -> None:
    row = uow.session.get(model, closed.call_id, with_for_update=True)
    if row is None:
        raise NotYetApplicable(f"call {closed.call_id} is not opened here yet")
    before = getattr(row, "status", None)
    row.status = "closed"
    uow.session.add(row)
    uow.audit("call.closed", "call", closed.call_id, before={"status": before}, after={"status": "closed"})


def call_copy_handlers(
    model: type[SQLModel], copy: Callable[[CallOpenedV1], dict[str, Any]]
) -> tuple[Handler[CallOpenedV1], Handler[CallClosedV1]]:
    """The `call.opened` and `call.closed` handlers of a service that keeps `model` as its copy."""

    def call_opened(uow: UnitOfWork, _: IncomingCloudEvent, data: CallOpenedV1) -> None:
        record_call_opened(uow, model, data, copy)

    def call_closed(uow: UnitOfWork, _: IncomingCloudEvent, data: CallClosedV1) -> None:
        record_call_closed(uow, model, data)

    return call_opened, call_closed
