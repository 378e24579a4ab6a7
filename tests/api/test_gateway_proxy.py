"""The gateway's reverse proxy and merged OpenAPI document, against real upstream servers."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gateway.main import create_app
from gateway.openapi import merge
from gateway.proxy import upstream_for
from services.applications.main import create_app as create_applications_app
from services.applications.settings import Settings as ApplicationsSettings
from shared.migrate import upgrade
from tests.support.gateway import ADMIN_PASSWORD, assert_problem, bearer, gateway_settings, login, unique_email
from tests.support.natsd import free_port
from tests.support.servers import ServerThread, SilentServer, echo_app

Gateway = Callable[..., TestClient]


@pytest.fixture(scope="module")
def applications_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real applications service on SQLite, with no NATS to talk to (it keeps retrying)."""
    url = f"sqlite:///{Path(tmp_path_factory.mktemp('applications')) / 'applications.db'}"
    upgrade("applications", url)
    nowhere: dict[str, Any] = {"EDF_NATS_URL": f"nats://127.0.0.1:{free_port()}"}
    settings = ApplicationsSettings(database_url=url, **nowhere)
    with ServerThread(create_applications_app(settings)) as server:
        yield server.url


@pytest.fixture(scope="module")
def echo_url() -> Iterator[str]:
    with ServerThread(echo_app) as server:
        yield server.url


@pytest.fixture
def gateway(database_url: str) -> Iterator[Gateway]:
    """`gateway(scoring_url=..., ...)` starts a gateway in-process on a migrated database."""
    upgrade("gateway", database_url)
    with ExitStack() as stack:

        def start(**overrides: Any) -> TestClient:
            settings = gateway_settings(database_url, **overrides)
            return stack.enter_context(TestClient(create_app(settings)))

        yield start


@pytest.mark.parametrize(
    ("path", "upstream"),
    [
        ("/api/v1/calls/c1/ranking", "scoring"),
        ("/api/v1/calls/c1/selection", "scoring"),
        ("/api/v1/calls/c1/decisions", "scoring"),
        ("/api/v1/calls/c1/ledger", "disbursement"),
        ("/api/v1/calls/c1/payments.xml", "disbursement"),
        ("/api/v1/calls/c1/payment-batches", "disbursement"),
        ("/api/v1/payment-batches/b1", "disbursement"),
        ("/api/v1/payment-batches/b1/pain.001.xml", "disbursement"),
        ("/api/v1/payment-batches/b1/status-reports", "disbursement"),
        ("/api/v1/calls/c1/indicators", "monitoring"),
        ("/api/v1/calls/c1/export.csv", "monitoring"),
        ("/api/v1/calls/c1/export.iati.xml", "monitoring"),
        ("/api/v1/calls/c1/export.360giving.json", "monitoring"),
        ("/api/v1/calls", "applications"),
        ("/api/v1/calls/c1", "applications"),
        ("/api/v1/calls/c1/open", "applications"),
        ("/api/v1/calls/c1/ranking/extra", "applications"),
        ("/api/v1/calls/c1/paymentsxxml", "applications"),
        ("/api/v1/applications", "applications"),
        ("/api/v1/applications/a1/documents", "applications"),
        ("/api/v1/applications/a1/timeline", "applications"),
        ("/api/v1/reviews", "scoring"),
        ("/api/v1/reviews/r1/submit", "scoring"),
        ("/api/v1/grants/g1/monitoring", "monitoring"),
        ("/api/v1/grants/g1/visits", "monitoring"),
        ("/api/v1/grants/g1/milestones/assets_purchased/verify", "monitoring"),
        ("/api/v1/grants/g1/flags", "monitoring"),
        ("/api/v1/flags/f1/resolve", "monitoring"),
        ("/api/v1/grants", "disbursement"),
        ("/api/v1/grants/g1", "disbursement"),
        ("/api/v1/grants/g1/payee", "disbursement"),
        ("/api/v1/tranches/t1/request", "disbursement"),
        ("/api/v1/payments/i1/settlement", "disbursement"),
        ("/api/v1/callsx", None),
        ("/api/v1/reviewsx", None),
        ("/api/v1/unknown", None),
        ("/api/v2/calls", None),
        ("/api/v1/calls/../users", None),
        ("/api/v1/calls/./c1", None),
    ],
)
def test_routing_table(path: str, upstream: str | None) -> None:
    assert upstream_for(path) == upstream


def test_proxies_to_the_applications_service(gateway: Gateway, applications_url: str) -> None:
    admin = unique_email("admin")
    client = gateway(
        applications_url=applications_url, bootstrap_admin_email=admin, bootstrap_admin_password=ADMIN_PASSWORD
    )
    response = client.get("/api/v1/calls", headers={"X-Request-ID": "proxy-test-0001"})
    assert response.status_code == 200, response.text
    assert response.json() == {"items": [], "next_cursor": None}
    assert response.headers.get_list("x-request-id") == ["proxy-test-0001"]
    assert len(client.get("/api/v1/calls").headers.get_list("x-request-id")) == 1

    assert_problem(client.post("/api/v1/calls", json={}), 401)  # the service checks tokens itself
    redirect = client.get("/api/v1/calls/", follow_redirects=False)  # the service redirects to no slash
    assert (redirect.status_code, redirect.headers["location"]) == (307, "/api/v1/calls")
    token = login(client, admin, ADMIN_PASSWORD)
    created = client.post("/api/v1/calls", json=_call(), headers=bearer(token))
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "draft"
    listed = client.get("/api/v1/calls", params={"status": "draft"}, headers=bearer(token)).json()
    assert created.json()["id"] in [call["id"] for call in listed["items"]]
    assert_problem(client.get(f"/api/v1/calls/{created.json()['id']}"), 404)  # a draft is not public


def _call() -> dict[str, Any]:
    now = datetime.now(UTC)
    label = {"en": "Jobs", "ar": "وظائف"}
    return {
        "code": f"GW{time.time_ns() % 10**8}",
        "title": {"en": "Gateway test call", "ar": "دعوة"},
        "currency": "USD",
        "budget": "500000.00",
        "grant_min": "5000.00",
        "grant_max": "30000.00",
        "opens_at": now.isoformat(),
        "closes_at": (now + timedelta(days=30)).isoformat(),
        "rubric": [{"key": "jobs", "label": label, "weight": "1", "max_score": 5}],
        "tranche_plan": [{"percent": "100", "milestone": "agreement_signed"}],
    }


def test_headers_and_bodies_pass_end_to_end(gateway: Gateway, echo_url: str) -> None:
    client = gateway(scoring_url=echo_url)
    headers = {
        "Authorization": "Bearer whatever.the.caller.sent",
        "X-Request-ID": "proxy-test-0002",
        "X-End-To-End": "kept",
        "Connection": "keep-alive, X-Hop-Listed",
        "X-Hop-Listed": "dropped",
        "Keep-Alive": "timeout=5",
        "Proxy-Authorization": "Basic c2VjcmV0",
        "TE": "trailers",
        "Upgrade": "h2c",
        "Accept-Encoding": "identity",
    }
    response = client.get("/api/v1/reviews?status=pending&q=a%20b%2Fc", headers=headers)
    assert response.status_code == 200, response.text
    seen = response.json()
    received = {name: value for name, value in seen["headers"]}
    assert seen["path"] == "/api/v1/reviews" and seen["query"] == "status=pending&q=a%20b%2Fc"
    assert received["authorization"] == headers["Authorization"]
    assert received["x-request-id"] == "proxy-test-0002"
    assert received["x-end-to-end"] == "kept"
    assert received["host"] == echo_url.removeprefix("http://")
    assert received["x-forwarded-host"] == "testserver"
    for hop in ("x-hop-listed", "keep-alive", "proxy-authorization", "te", "upgrade", "transfer-encoding"):
        assert hop not in received
    assert (received["accept-encoding"], received["user-agent"]) == ("identity", "testclient")  # the caller's
    assert response.headers.get_list("x-multi") == ["one", "two"]
    assert "keep-alive" not in response.headers and "proxy-agent" not in response.headers
    assert response.headers.get_list("x-request-id") == ["proxy-test-0002"]

    body = bytes(range(256)) * 4096  # 1 MiB
    posted = client.post("/api/v1/reviews/r1/submit", content=body).json()
    assert (posted["method"], posted["size"]) == ("POST", len(body))
    streamed = client.put("/api/v1/reviews/r1", content=iter([body[:1000], body[1000:]])).json()
    assert (streamed["method"], streamed["size"], streamed["sha256"]) == ("PUT", len(body), posted["sha256"])


def test_upstream_down_is_502_and_the_gateway_stays_up(gateway: Gateway, echo_url: str) -> None:
    client = gateway(applications_url=f"http://127.0.0.1:{free_port()}", scoring_url=echo_url)
    for _ in range(3):
        problem = assert_problem(client.get("/api/v1/calls"), 502)
        assert "applications" in problem["detail"]
        assert_problem(client.post("/api/v1/applications", json={"call_id": "x"}), 502)
    assert client.get("/healthz").status_code == 200
    assert client.get("/api/v1/reviews").status_code == 200


def test_upstream_too_slow_is_504(gateway: Gateway) -> None:
    with SilentServer() as silent:
        client = gateway(monitoring_url=silent.url, upstream_read_timeout=0.5)
        started = time.monotonic()
        problem = assert_problem(client.get("/api/v1/flags"), 504)
        assert "monitoring" in problem["detail"] and time.monotonic() - started < 5
        assert client.get("/healthz").status_code == 200


def test_oversize_bodies_are_413(gateway: Gateway, echo_url: str) -> None:
    client = gateway(scoring_url=echo_url, applications_url=f"http://127.0.0.1:{free_port()}", max_request_bytes=1024)
    assert client.post("/api/v1/reviews/r1/submit", content=b"x" * 1024).json()["size"] == 1024
    # announced by Content-Length: refused before any upstream is asked (this one is down: no 502)
    assert_problem(client.post("/api/v1/calls", content=b"x" * 1025), 413)
    # streamed without a length: refused once the limit is passed
    assert_problem(client.put("/api/v1/reviews/r1", content=iter([b"x" * 600, b"x" * 600])), 413)
    # the gateway's own routes too
    big = {"email": unique_email(), "password": "p" * 200, "full_name": "n" * 900}
    assert_problem(client.post("/api/v1/auth/register", json=big), 413)
    assert_problem(client.post("/api/v1/auth/register", content=iter([b'{"email": "', b"x" * 1100])), 413)
    assert client.get("/healthz").status_code == 200


def test_unknown_api_paths_are_404(gateway: Gateway) -> None:
    client = gateway()
    for path in ("/api/v1/nothing", "/api/v1/users/extra", "/api/v1/calls/%2E%2E/users", "/nowhere"):
        assert_problem(client.get(path), 404)


def test_merged_openapi_document(gateway: Gateway, applications_url: str) -> None:
    client = gateway(applications_url=applications_url)
    document = client.get("/openapi.json").json()
    paths = document["paths"]
    assert {"/api/v1/auth/token", "/api/v1/auth/register", "/api/v1/auth/me", "/api/v1/users"} <= set(paths)
    assert {"/api/v1/calls", "/api/v1/calls/{call_id}", "/api/v1/calls/{call_id}/open"} <= set(paths)
    assert not any("{path}" in path for path in paths) and "/healthz" not in paths
    assert document["info"]["x-unavailable"] == ["scoring", "disbursement", "monitoring"]
    assert document["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert "CallOut" in document["components"]["schemas"] and "RegisterIn" in document["components"]["schemas"]
    for ref in _refs(document):
        section, name = ref.removeprefix("#/components/").split("/")
        assert name in document["components"][section], ref
    docs = client.get("/docs")
    assert docs.status_code == 200 and "/openapi.json" in docs.text


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def test_merge_renames_clashing_components() -> None:
    own = {
        "info": {"title": "g"},
        "paths": {"/api/v1/users": {}},
        "components": {"schemas": {"Out": {"type": "string"}}},
    }
    scoring = {
        "paths": {
            "/api/v1/reviews": {"get": {"$ref": "#/components/schemas/Out"}},
            "/api/v1/internal": {"get": {}},
            "/api/v1/calls/{call_id}/ranking": {"get": {"$ref": "#/components/schemas/Same"}},
        },
        "components": {
            "schemas": {"Out": {"type": "integer"}, "Same": {"type": "string"}},
            "securitySchemes": {"HTTPBearer": {"type": "http", "scheme": "bearer"}},
        },
        "tags": [{"name": "reviews"}],
    }
    merged = merge(own, {"scoring": scoring, "monitoring": None})
    assert merged["paths"]["/api/v1/reviews"]["get"]["$ref"] == "#/components/schemas/scoring_Out"
    assert "/api/v1/internal" not in merged["paths"]  # not routed to scoring: not served by the gateway
    assert merged["components"]["schemas"] == {
        "Out": {"type": "string"},
        "scoring_Out": {"type": "integer"},
        "Same": {"type": "string"},
    }
    assert merged["tags"] == [{"name": "reviews"}]
    assert merged["info"]["x-unavailable"] == ["monitoring"]


def test_readyz_needs_the_database_not_every_service(gateway: Gateway) -> None:
    client = gateway()  # every service down: their routes answer 502, sign-in still works
    ready = client.get("/readyz").json()  # NATS is reported, never required
    assert (ready["status"], ready["database"]) == ("ready", "ok") and "nats" in ready
    assert client.get("/healthz").json() == {"status": "ok"}
