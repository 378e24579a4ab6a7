"""`GET /api/v1/applications/{id}/timeline`: what every service knows of one application,
oldest first. The applications service decides who may see it (owner or staff; asked for the
blind view, so that no identity passes here); the entries hold no identity; a service
that is down leaves its part out, and the answer says so (an entry and a header)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from gateway.deps import HttpClientDep, SettingsDep, SignedIn, TokenConfigDep
from shared.auth import SYSTEM, TokenConfig, issue_token
from shared.problems import problem

router = APIRouter(prefix="/api/v1/applications", tags=["applications"])
UNAVAILABLE_HEADER = "X-Timeline-Unavailable"


class TimelineItem(BaseModel):
    time: datetime
    type: str
    summary: str
    service: str | None = None


@router.get("/{application_id}/timeline", response_model=list[TimelineItem])
async def application_timeline(
    application_id: uuid.UUID,
    request: Request,
    _: SignedIn,
    client: HttpClientDep,
    settings: SettingsDep,
    tokens: TokenConfigDep,
) -> JSONResponse:
    upstreams = settings.upstreams()
    try:
        visible = await client.get(
            f"{upstreams['applications']}/api/v1/applications/{application_id}",
            params={"view": "blind"},  # only whether the caller may see it: no identity, no read to audit
            headers={"Authorization": request.headers.get("authorization", "")},
        )
    except httpx.HTTPError:
        return problem(502, "the applications service is unavailable")
    if visible.status_code != 200:
        return problem(visible.status_code, "no such application" if visible.status_code == 404 else "refused")
    system = {"Authorization": f"Bearer {_system_token(tokens)}"}
    parts = await asyncio.gather(
        *(
            _part(client, f"{base}/internal/timeline/applications/{application_id}", system)
            for base in upstreams.values()
        )
    )
    items: list[dict[str, Any]] = sorted(
        (i for part in parts if part is not None for i in part), key=lambda item: datetime.fromisoformat(item["time"])
    )
    missing = [name for name, part in zip(upstreams, parts, strict=True) if part is None]
    now = datetime.now(UTC).isoformat()
    items += [
        {
            "time": now,
            "type": "timeline.part_missing",
            "service": name,
            "summary": f"The {name} service is unavailable: its part of the timeline is missing.",
        }
        for name in missing
    ]
    headers = {UNAVAILABLE_HEADER: ",".join(missing)} if missing else None
    return JSONResponse(items, headers=headers)


async def _part(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> list[dict[str, Any]] | None:
    try:
        response = await client.get(url, headers=headers, timeout=5.0)
    except httpx.HTTPError:
        return None
    if response.status_code != 200:
        return None
    return [TimelineItem.model_validate(item).model_dump(mode="json") for item in response.json()]


def _system_token(config: TokenConfig) -> str:
    return issue_token(config.lasting(timedelta(seconds=30)), SYSTEM.id, SYSTEM.email, SYSTEM.role)
