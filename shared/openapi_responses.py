"""The error answers every operation can give, declared in its OpenAPI document.

Every error is `application/problem+json` (`shared.problems`). FastAPI declares only the
success answer and a 422 of its own shape (`HTTPValidationError`, which this API never sends);
`declare_problems` replaces that 422 and adds, from each operation's shape, the statuses it
can answer with:

| shape of the operation                       | declared                      |
|----------------------------------------------|-------------------------------|
| any                                          | 400 (a malformed request)     |
| takes a bearer token (`security`)            | 401, 403                      |
| has path parameters                          | 404                           |
| has parameters or a body                     | 422                           |
| has a body                                   | 413, 422                      |
| has a multipart body (uploads)               | 415 as well                   |
| changes something (not GET or HEAD)          | 409                           |

A route may declare more itself with `responses=problem_responses(429)`; what it declares wins
(an error it declares without a body gets the problem body).
`declare_problems` is idempotent, so the gateway applies it to the merged document as well.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from shared.problems import PROBLEM_JSON, TITLES

Document = dict[str, Any]
PROBLEM_REF = "#/components/schemas/Problem"
PROBLEM_SCHEMA: Document = {
    "title": "Problem",
    "description": "An error (RFC 9457). It names fields and rules, never the values submitted.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["loc", "msg"],
                "properties": {
                    "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
                    "msg": {"type": "string"},
                },
            },
        },
    },
}
FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def problem_response(status: int) -> Document:
    return {"description": TITLES.get(status, "Error"), "content": {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_REF}}}}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """For a route's `responses=`: extra statuses it answers with a problem."""
    return {status: problem_response(status) for status in statuses}


def statuses_of(method: str, operation: Document) -> set[int]:
    parameters = operation.get("parameters", [])
    body = operation.get("requestBody")
    statuses: set[int] = {400}  # a header the gateway cannot pass on, a body that is not JSON
    if operation.get("security"):
        statuses |= {401, 403}
    if any(p.get("in") == "path" for p in parameters if isinstance(p, dict)):
        statuses.add(404)
    if parameters or body:
        statuses.add(422)
    if body:
        statuses.add(413)
        if "multipart/form-data" in body.get("content", {}):
            statuses.add(415)
    if method not in ("get", "head"):
        statuses.add(409)
    return statuses


def _fastapi_validation(response: Document) -> bool:
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    return str(schema.get("$ref", "")).rsplit("/", 1)[-1] in FASTAPI_VALIDATION_SCHEMAS


def declare_problems(document: Document) -> Document:
    """The document (changed in place) with every operation's problem answers declared."""
    for item in document.get("paths", {}).values():
        for method, operation in item.items():
            if method not in METHODS or not isinstance(operation, dict):
                continue
            responses = operation.setdefault("responses", {})
            if "422" in responses and _fastapi_validation(responses["422"]):
                del responses["422"]
            for status in sorted(statuses_of(method, operation)):
                responses.setdefault(str(status), problem_response(status))
            for status, response in responses.items():
                if status.isdigit() and status[0] in "45" and isinstance(response, dict) and "content" not in response:
                    response["content"] = problem_response(int(status))["content"]  # declared by a route
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = copy.deepcopy(PROBLEM_SCHEMA)
    if not any(_refers_to(document.get("paths", {}), name) for name in FASTAPI_VALIDATION_SCHEMAS):
        for name in FASTAPI_VALIDATION_SCHEMAS:
            schemas.pop(name, None)
    return document


def _refers_to(node: Any, name: str) -> bool:
    if isinstance(node, dict):
        return any(
            (key == "$ref" and isinstance(value, str) and value.rsplit("/", 1)[-1] == name) or _refers_to(value, name)
            for key, value in node.items()
        )
    if isinstance(node, list):
        return any(_refers_to(item, name) for item in node)
    return False


def install_problem_responses(app: FastAPI) -> None:
    """Makes `app.openapi()` declare the problem answers (the document is built once, then cached)."""
    build: Callable[[], Document] = app.openapi

    def openapi() -> Document:
        if app.openapi_schema is None:
            app.openapi_schema = declare_problems(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
