"""Schema fuzzing of the whole API (issue #7): schemathesis generates requests from the gateway's
merged `/openapi.json` and sends them to the stack running as processes (SQLite, and PostgreSQL
when EDF_TEST_POSTGRES_URL is set). No answer may be a 5xx, every answer must be one its operation
declares (status, content type, headers, body schema), and input the schema forbids must be
refused.

- Which roles may call each operation is probed first (one request per operation and role: a
  refused role answers 401/403 before anything else is looked at).
- Every operation gets the schema's examples, the coverage phase (boundary and invalid values
  of every part, deterministic) and generated requests, as the first role that may call it.
- Each role (and nobody) then sends generated requests to every operation it may call: what a
  role reaches differs (its own records, its own rules).
- The stateful phase follows the links schemathesis infers between operations (create a call,
  then read, open or close it; create an application, then read, patch or submit it; …).
- The document gets examples from a seeded world (an open call, a draft and a submitted
  application, valid bodies), so that requests also reach past "not found".

It drives schemathesis's engine (what `st run` runs) rather than its pytest plugin, whose lazy
loader does not run under pytest 9. Bounded and reproducible for CI: a fixed seed, deterministic
generation, no example database, `FUZZ_EXAMPLES` (default 8) generated requests per operation
(half as many per role); e.g. `FUZZ_EXAMPLES=100` for a longer run.
"""

from __future__ import annotations

import copy
import os
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from schemathesis.engine import Status
from schemathesis.engine.events import FatalError, NonFatalError, ScenarioFinished
from schemathesis.engine.recorder import ScenarioRecorder

from tests.conftest import BACKENDS, POSTGRES_URL
from tests.support.samples import application_body, call_body
from tests.support.stack import PATIENT, Stack, running_stack, stack_databases

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(900)]

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))
SEED = 20260107
ROLES = ("anonymous", "admin", "applicant", "officer", "committee", "finance", "monitor", "intake")
PASSWORD = "a long fuzzing password"
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
)
METHODS = ("get", "put", "post", "patch", "delete")
# The gateway's rate limits would answer most generated requests 429 (all come from one address).
UNLIMITED = {
    f"GATEWAY_{name}": "1000000"
    for name in ("LOGIN_RATE_LIMIT", "LOGIN_ADDRESS_RATE_LIMIT", "SIGNUP_RATE_LIMIT", "SUBMIT_RATE_LIMIT")
}
Operation = tuple[str, str]  # (method, path template)


@pytest.fixture(scope="module", params=BACKENDS)
def stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp(f"fuzz-{request.param}")
    with (
        stack_databases(request.param, tmp, POSTGRES_URL) as env,
        running_stack(tmp / "var", {**env, **UNLIMITED, **PATIENT}, timeout=300) as running,
    ):
        yield running


@pytest.fixture(scope="module")
def tokens(stack: Stack) -> dict[str, dict[str, str]]:
    """A bearer token per role (anonymous: none)."""
    admin = stack.token()
    found = {"anonymous": {}, "admin": admin}
    for role in ROLES[2:]:
        email = f"fuzz-{role}-{time.time_ns()}@example.org"
        body = {"email": email, "password": PASSWORD, "full_name": f"Fuzz {role}"}
        if role == "applicant":
            created = httpx.post(f"{stack.gateway}/api/v1/auth/register", json=body)
        else:
            created = httpx.post(f"{stack.gateway}/api/v1/users", json={**body, "role": role}, headers=admin)
        assert created.status_code == 201, created.text
        found[role] = stack.token(email, PASSWORD)
    return found


@pytest.fixture(scope="module")
def document(stack: Stack, tokens: dict[str, dict[str, str]]) -> dict[str, Any]:
    """The merged document, with examples from a seeded world."""
    deadline = time.monotonic() + 120
    while (doc := httpx.get(f"{stack.gateway}/openapi.json", timeout=30).json())["info"]["x-unavailable"]:
        assert time.monotonic() < deadline, f"services down when the document was built: {doc['info']}"
        time.sleep(1)  # a slow upstream is asked again after a few seconds
    api, admin, applicant = f"{stack.gateway}/api/v1", tokens["admin"], tokens["applicant"]
    call = httpx.post(f"{api}/calls", json=call_body(), headers=admin, timeout=30).json()
    assert httpx.post(f"{api}/calls/{call['id']}/open", headers=admin, timeout=30).status_code == 200
    second = httpx.post(f"{api}/calls", json=call_body(), headers=admin, timeout=30).json()  # one per account and call
    assert httpx.post(f"{api}/calls/{second['id']}/open", headers=admin, timeout=30).status_code == 200
    draft = httpx.post(f"{api}/applications", json=application_body(second["id"]), headers=applicant, timeout=30)
    submitted = httpx.post(f"{api}/applications", json=application_body(call["id"]), headers=applicant, timeout=30)
    assert draft.status_code == submitted.status_code == 201, draft.text
    assert (
        httpx.post(f"{api}/applications/{submitted.json()['id']}/submit", headers=applicant, timeout=30).status_code
        == 200
    )
    ids = {"call_id": call["id"], "application_id": draft.json()["id"]}
    bodies = {
        ("post", "/api/v1/calls"): call_body(),
        ("post", "/api/v1/applications"): application_body(call["id"]),
        ("patch", "/api/v1/applications/{application_id}"): application_body(call["id"]),
    }
    return with_examples(doc, ids, bodies)


def with_examples(doc: dict[str, Any], ids: dict[str, str], bodies: dict[Operation, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    for (method, path), operation in operations(doc).items():
        for parameter in operation.get("parameters", []):
            if parameter.get("in") == "path" and parameter["name"] in ids:
                parameter["example"] = ids[parameter["name"]]
        if (method, path) in bodies:
            operation["requestBody"]["content"]["application/json"]["example"] = bodies[method, path]
    return doc


def operations(doc: dict[str, Any]) -> dict[Operation, dict[str, Any]]:
    return {
        (method, path): operation
        for path, item in doc["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }


@pytest.fixture(scope="module")
def allowed(stack: Stack, tokens: dict[str, dict[str, str]], document: dict[str, Any]) -> dict[Operation, list[str]]:
    """For each operation, the roles that get past its authorization (in the order of ROLES)."""
    found: dict[Operation, list[str]] = {}
    with httpx.Client(base_url=stack.gateway, timeout=30) as client:
        for (method, path), operation in operations(document).items():
            url = path.format_map(
                {
                    p["name"]: str(uuid.uuid4()) if p["schema"].get("type") == "string" else "1"
                    for p in operation.get("parameters", [])
                    if p["in"] == "path"
                }
            )
            body: dict[str, Any] | None = {} if "requestBody" in operation else None
            found[method, path] = [
                role
                for role in ROLES
                if client.request(method.upper(), url, headers=tokens[role], json=body).status_code not in (401, 403)
            ]
    return found


def config(
    stack: Stack,
    phases: set[str],
    headers: dict[str, str] | None = None,
    per_operation: list[dict[str, Any]] | None = None,
    examples: int = EXAMPLES,
) -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "base-url": stack.gateway,
            "seed": SEED,
            "suppress-health-check": ["all"],
            "headers": headers or {},
            "request-timeout": 30,
            "generation": {"max-examples": examples, "deterministic": True, "database": "none"},
            "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
            "phases": {phase: {"enabled": phase in phases} for phase in ("examples", "coverage", "fuzzing", "stateful")}
            | ({"stateful": {"enabled": True, "max-steps": 10 * examples}} if "stateful" in phases else {}),
            "operations": per_operation or [],
        }
    )


def as_first_role(
    stack: Stack, tokens: dict[str, dict[str, str]], allowed: dict[Operation, list[str]]
) -> schemathesis.Config:
    """Every operation as the first role that may call it (nobody's, for a public one)."""
    per_operation = [
        {"include-name": f"{method.upper()} {path}", "headers": tokens[roles[0]]}
        for (method, path), roles in allowed.items()
    ]
    return config(stack, {"examples", "coverage", "fuzzing"}, per_operation=per_operation)


def as_role(
    stack: Stack, tokens: dict[str, dict[str, str]], allowed: dict[Operation, list[str]], role: str
) -> schemathesis.Config:
    """The operations `role` may call, as `role`: generated requests only."""
    per_operation = [
        {"include-name": f"{method.upper()} {path}", "enabled": role in roles}
        for (method, path), roles in allowed.items()
    ]
    return config(stack, {"fuzzing"}, tokens[role], per_operation, examples=max(2, EXAMPLES // 2))


def fuzz(document: dict[str, Any], fuzz_config: schemathesis.Config) -> tuple[int, list[str]]:
    """Runs the engine; returns (scenarios run, one entry per finding)."""
    schema = schemathesis.openapi.from_dict(document, config=fuzz_config)
    scenarios, findings = 0, []
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, ScenarioFinished) and event.is_test_scenario:
            scenarios += 1
            if event.status in (Status.FAILURE, Status.ERROR):
                findings += describe(event.recorder) or [f"{event.label}: {event.status.value} ({event.phase.value})"]
        elif isinstance(event, NonFatalError):
            findings.append(f"{event.label}: error {type(event.value).__name__}: {_short(event.value)}")
        elif isinstance(event, FatalError):
            raise event.exception
    return scenarios, sorted(set(findings))


def describe(recorder: ScenarioRecorder) -> list[str]:
    """Each failed check: the operation, what broke, the request (curl) and the answer."""
    found = []
    for case_id, checks in recorder.checks.items():
        for check in checks:
            if check.failure_info is None:
                continue
            failure = check.failure_info.failure
            interaction = recorder.interactions.get(case_id)
            answer = ""
            if interaction is not None and interaction.response is not None:
                answer = f" -> {interaction.response.status_code} {_short(interaction.response.content)}"
            request = _short(check.failure_info.code_sample, 600)
            found.append(
                f"{failure.operation or recorder.label}: {failure.title}: {_short(failure.message)}"
                f"\n    {request}{answer}"
            )
    return found


def _short(value: Any, limit: int = 300) -> str:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return " ".join(text.split())[:limit]


def test_every_operation_as_the_first_role_that_may_call_it(
    stack: Stack, tokens: dict[str, dict[str, str]], document: dict[str, Any], allowed: dict[Operation, list[str]]
) -> None:
    """The schema's examples, the coverage phase (boundaries and invalid values of every part)
    and generated requests."""
    assert [operation for operation, roles in allowed.items() if not roles] == [], "no role may call these"
    scenarios, findings = fuzz(document, as_first_role(stack, tokens, allowed))
    assert scenarios >= len(allowed)
    assert findings == [], f"{len(findings)} finding(s):\n" + "\n".join(findings)


@pytest.mark.parametrize("role", ROLES)
def test_every_operation_as_every_role(
    stack: Stack,
    tokens: dict[str, dict[str, str]],
    document: dict[str, Any],
    allowed: dict[Operation, list[str]],
    role: str,
) -> None:
    """What each role reaches differs (its own records, its own checks): generated requests as each."""
    assert any(role in roles for roles in allowed.values()), f"{role} may call no operation at all"
    scenarios, findings = fuzz(document, as_role(stack, tokens, allowed, role))
    assert scenarios > 0
    assert findings == [], f"{len(findings)} finding(s) as {role}:\n" + "\n".join(findings)


@pytest.mark.parametrize("role", ["admin", "applicant"])
def test_stateful_links(stack: Stack, tokens: dict[str, dict[str, str]], document: dict[str, Any], role: str) -> None:
    """Sequences of calls along the links schemathesis infers (as the roles that create things)."""
    _, findings = fuzz(document, config(stack, {"stateful"}, tokens[role]))
    assert findings == [], f"{len(findings)} finding(s) as {role}, stateful:\n" + "\n".join(findings)
