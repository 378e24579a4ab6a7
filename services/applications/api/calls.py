"""Thin routes: request -> command -> handler -> response."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from fastapi import APIRouter

from services.applications.api.deps import Admin, DatabaseDep, MaybeSignedIn, PageDep
from services.applications.handlers import calls as handlers
from services.applications.models import CallOut
from shared.events.calls import CallSpec
from shared.http import Page
from shared.uow import Actor

router = APIRouter(prefix="/api/v1", tags=["calls"])
# A token is optional here (`{}`: none at all); FastAPI declares the bearer scheme alone.
SIGNED_IN_OR_NOT: dict[str, Any] = {"security": [{}]}


@router.post("/calls", status_code=201, response_model=CallOut)
def create_call(body: CallSpec, db: DatabaseDep, admin: Admin) -> CallOut:
    return handlers.create_call(db, Actor.of(admin), body)


@router.post("/calls/{call_id}/open", response_model=CallOut)
def open_call(call_id: uuid.UUID, db: DatabaseDep, admin: Admin) -> CallOut:
    return handlers.open_call(db, Actor.of(admin), call_id)


@router.post("/calls/{call_id}/close", response_model=CallOut)
def close_call(call_id: uuid.UUID, db: DatabaseDep, admin: Admin) -> CallOut:
    return handlers.close_call(db, Actor.of(admin), call_id)


@router.get("/calls", response_model=Page[CallOut], openapi_extra=SIGNED_IN_OR_NOT)
def list_calls(
    db: DatabaseDep,
    viewer: MaybeSignedIn,
    page: PageDep,
    status: Literal["draft", "open", "closed"] | None = None,
) -> Page[CallOut]:
    return handlers.list_calls(db, viewer, page, status)


@router.get("/calls/{call_id}", response_model=CallOut, openapi_extra=SIGNED_IN_OR_NOT)
def get_call(call_id: uuid.UUID, db: DatabaseDep, viewer: MaybeSignedIn) -> CallOut:
    return handlers.get_call(db, viewer, call_id)
