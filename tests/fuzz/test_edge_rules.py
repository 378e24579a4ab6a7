"""The rules the schema fuzzing led to, checked without a stack: every problem answer declared in
the OpenAPI document, NUL characters refused at the edge, ids within their column, moments with
their offset, log lines that a logged value cannot split."""

from __future__ import annotations

import json
import logging
import uuid
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field, ValidationError

from shared.events.calls import CallSpec
from shared.fields import MAX_ROW_ID, Input, RowId, Utc
from shared.logs import JsonFormatter
from shared.openapi_responses import declare_problems, install_problem_responses, problem_responses
from shared.problems import PROBLEM_JSON, install_error_handlers
from tests.support.samples import call_body


class Inner(Input):
    text: str


class Outer(Input):
    inner: Inner
    tags: list[str] = Field(default_factory=list)
    labels: dict[str, str] = Field(default_factory=dict)


class Moment(BaseModel):
    at: Utc


def app() -> FastAPI:
    api = FastAPI()
    install_error_handlers(api)

    @api.get("/things")
    def list_things(limit: int = 10) -> list[int]:
        return []

    @api.post("/things/{thing_id}", responses=problem_responses(429))
    def change_thing(thing_id: RowId, body: Outer) -> dict[str, int]:
        return {"id": thing_id}

    install_problem_responses(api)
    return api


def test_every_operation_declares_its_problem_answers() -> None:
    document = app().openapi()
    listed = document["paths"]["/things"]["get"]["responses"]
    changed = document["paths"]["/things/{thing_id}"]["post"]["responses"]
    assert sorted(listed) == ["200", "400", "422"]
    assert sorted(changed) == ["200", "400", "404", "409", "413", "422", "429"]
    assert changed["422"]["content"] == {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    schemas = document["components"]["schemas"]
    assert "Problem" in schemas and "HTTPValidationError" not in schemas
    assert declare_problems(document) == document  # idempotent (the gateway applies it to the merged one)


def test_an_error_declared_without_a_body_gets_the_problem_body() -> None:
    document = {
        "paths": {
            "/x": {
                "get": {
                    "security": [{"HTTPBearer": []}],
                    "responses": {"200": {}, "409": {"description": "no grants yet"}},
                }
            }
        }
    }
    declared = declare_problems(document)["paths"]["/x"]["get"]["responses"]
    assert declared["409"]["description"] == "no grants yet" and PROBLEM_JSON in declared["409"]["content"]
    assert {"401", "403"} <= set(declared)


@pytest.mark.parametrize(
    "body",
    [
        {"inner": {"text": "a\x00b"}},
        {"inner": {"text": "ok"}, "tags": ["fine", "\x00"]},
        {"inner": {"text": "ok"}, "labels": {"k\x00": "v"}},
    ],
)
def test_nul_characters_are_refused_at_any_depth(body: dict[str, object]) -> None:
    with pytest.raises(ValidationError, match="must not contain NUL characters"):
        Outer.model_validate(body)
    answer = TestClient(app()).post("/things/1", json=body)
    assert answer.status_code == 422 and answer.headers["content-type"] == PROBLEM_JSON
    assert "\\u0000" not in answer.text  # the input is not echoed


def test_event_data_and_a_call_spec_refuse_nul_too() -> None:
    with pytest.raises(ValidationError, match=r"NUL|control characters"):  # a title refuses every C0 character
        CallSpec.model_validate({**call_body(), "title": {"en": "Grants\x00", "ar": "منح"}})
    assert CallSpec.model_validate(call_body()).code


@pytest.mark.parametrize(
    ("thing_id", "status"),
    [("1", 200), (str(MAX_ROW_ID), 200), ("0", 422), (str(MAX_ROW_ID + 1), 422), ("9" * 30, 422)],
)
def test_row_ids_stay_within_their_column(thing_id: str, status: int) -> None:
    answer = TestClient(app()).post(f"/things/{thing_id}", json={"inner": {"text": "ok"}})
    assert answer.status_code == status, answer.text


def test_moments_are_answered_with_their_offset() -> None:
    naive = datetime(2026, 1, 7, 10, 30)
    assert Moment(at=naive).model_dump_json() == '{"at":"2026-01-07T10:30:00Z"}'
    aware = datetime(2026, 1, 7, 10, 30, tzinfo=UTC)
    assert Moment(at=aware).at == aware


def test_unknown_fields_are_still_refused() -> None:
    with pytest.raises(ValidationError, match="Extra inputs"):
        Outer.model_validate({"inner": {"text": "ok"}, "id": str(uuid.uuid4())})


def test_a_logged_value_cannot_split_a_log_line() -> None:
    """A requested path with characters that readers take for line breaks stays on its line."""
    path = "/api/v1/x\u2028forged\x85line\u2029é\n"
    line = JsonFormatter("gateway").format(logging.makeLogRecord({"msg": "request", "path": path}))
    assert len(line.splitlines()) == 1 and json.loads(line)["path"] == path
