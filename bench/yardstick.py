"""The yardstick: a bare FastAPI POST with pydantic validation of a body like a submission's,
served the same way as our apps (uvicorn, one process). Every figure is also a ratio to it."""

from __future__ import annotations

from decimal import Decimal

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict

app = FastAPI()


class Line(BaseModel):
    model_config = ConfigDict(extra="forbid")
    item: str
    quantity: int
    unit_cost: Decimal


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")
    call_id: str
    business: dict[str, object]
    owner: dict[str, object]
    plan: dict[str, object]
    consent: dict[str, object]


@app.post("/echo")
def echo(body: Body) -> dict[str, str]:
    return {"status": "ok", "call_id": body.call_id}
