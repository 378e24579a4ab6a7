"""Use cases of the applications service: one unit of work each."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from services.applications.domain import calls as domain
from services.applications.models import Call, CallCounter, CallOut
from shared.auth import Principal
from shared.db import Database
from shared.errors import Conflict, NotFound
from shared.events.calls import CallClosedV1, CallOpenedV1, CallSpec
from shared.http import Page, PageParams
from shared.paging import keyset_page
from shared.uow import Actor, UnitOfWork


def call_out(call: Call) -> CallOut:
    return CallOut.model_validate(
        {
            **call.spec,
            "id": call.id,
            "status": call.status,
            "created_at": call.created_at,
            "opened_at": call.opened_at,
            "closed_at": call.closed_at,
        }
    )


def create_call(db: Database, actor: Actor, spec: CallSpec) -> CallOut:
    domain.check_call(spec)
    with UnitOfWork(db, actor) as uow:
        if uow.session.exec(select(Call).where(Call.code == spec.code)).first() is not None:
            raise Conflict(f"a call with code {spec.code} exists already")
        call = Call(code=spec.code, spec=spec.model_dump(mode="json"), created_at=datetime.now(UTC))
        uow.audit("call.created", "call", call.id, after={"code": call.code, "status": call.status})
        try:
            uow.session.add(call)
            uow.session.flush()  # the call row first: its counter refers to it
            uow.session.add(CallCounter(call_id=call.id))
            uow.commit()
        except IntegrityError:
            raise Conflict(f"a call with code {spec.code} exists already") from None
        return call_out(call)


def open_call(db: Database, actor: Actor, call_id: uuid.UUID) -> CallOut:
    with UnitOfWork(db, actor) as uow:
        call = _locked_call(uow.session, call_id)
        spec = CallSpec.model_validate(call.spec)
        now = datetime.now(UTC)
        before = call.status
        call.status = domain.opened(domain.CallStatus(call.status), spec.closes_at, now)
        call.opened_at = now
        uow.session.add(call)
        uow.emit(CallOpenedV1(**spec.model_dump(), call_id=call.id, opened_at=now), call.id)
        uow.audit("call.opened", "call", call.id, before={"status": before}, after={"status": call.status})
        uow.commit()
        return call_out(call)


def close_call(db: Database, actor: Actor, call_id: uuid.UUID) -> CallOut:
    with UnitOfWork(db, actor) as uow:
        call = _locked_call(uow.session, call_id)
        now = datetime.now(UTC)
        before = call.status
        call.status = domain.closed(domain.CallStatus(call.status))
        call.closed_at = now
        uow.session.add(call)
        uow.emit(CallClosedV1(call_id=call.id, closed_at=now), call.id)
        uow.audit("call.closed", "call", call.id, before={"status": before}, after={"status": call.status})
        uow.commit()
        return call_out(call)


def get_call(db: Database, principal: Principal | None, call_id: uuid.UUID) -> CallOut:
    with Session(db.engine) as session:
        call = session.get(Call, call_id)
        if call is None or not _visible(call, principal):
            raise NotFound("no such call")
        return call_out(call)


def list_calls(db: Database, principal: Principal | None, page: PageParams, status: str | None) -> Page[CallOut]:
    query = select(Call)
    if principal is None or not principal.is_staff:
        query = query.where(Call.status == domain.CallStatus.open.value)
    if status is not None:
        query = query.where(Call.status == status)
    with Session(db.engine) as session:
        return keyset_page(session, query, Call.code, page, call_out)


def _visible(call: Call, principal: Principal | None) -> bool:
    return call.status == domain.CallStatus.open.value or (principal is not None and principal.is_staff)


def _locked_call(session: Session, call_id: uuid.UUID) -> Call:
    call = session.exec(select(Call).where(Call.id == call_id).with_for_update()).first()
    if call is None:
        raise NotFound("no such call")
    return call
