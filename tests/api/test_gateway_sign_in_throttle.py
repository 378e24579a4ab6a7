"""Failed sign-ins counted per account whatever the address: 429 with a growing `Retry-After`,
the same for an unknown account, reset by a success, shared by the pages, logged without the
username or the password, and counted on the metrics endpoint."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from gateway.main import create_app
from gateway.signin import SignInGuard
from shared.migrate import upgrade
from tests.api.test_gateway_auth import Collect
from tests.support.gateway import PASSWORD, assert_problem, gateway_settings, register, unique_email
from tests.support.natsd import free_port
from tests.support.web import csrf_of

WRONG = "not the password 1"


class Clock:
    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[tuple[Any, Clock, int]]:
    """`(client_from(address), clock, metrics_port)`: test clients of one gateway, each from its own
    address; 3 failures free, then 30 s doubled up to 100 s."""
    url = f"sqlite:///{tmp_path / 'gateway.db'}"
    upgrade("gateway", url)
    metrics_port = free_port()
    settings = gateway_settings(
        url,
        metrics_port=metrics_port,
        login_account_failures=3,
        login_account_delay_seconds=30,
        login_account_max_delay_seconds=100,
    )
    app = create_app(settings)
    clock = Clock()
    guard: SignInGuard = app.state.sign_in_guard
    guard.throttle.clock = clock
    clients: list[TestClient] = []

    def client_from(address: str) -> TestClient:
        client = TestClient(app, client=(address, 40000))
        clients.append(client.__enter__())
        return client

    yield client_from, clock, metrics_port
    for client in reversed(clients):
        client.__exit__(None, None, None)


def sign_in(client: TestClient, username: str, password: str) -> httpx.Response:
    return client.post("/api/v1/auth/token", data={"username": username, "password": password})


def test_an_account_is_throttled_from_any_address_and_an_unknown_one_alike(gateway: Any) -> None:
    client_from, clock, _ = gateway
    known, unknown = unique_email("known"), unique_email("nobody")
    register(client_from("198.51.100.1"), known)
    answers: dict[str, httpx.Response] = {}
    for username in (known, unknown):
        for n in range(3):  # three failures, each from another address
            assert_problem(sign_in(client_from(f"203.0.113.{n + 1}"), username.upper(), WRONG), 401)
        refused = sign_in(client_from("203.0.113.50"), username, PASSWORD)  # even the right password
        answers[username] = refused
        body = assert_problem(refused, 429)
        assert refused.headers["retry-after"] == "30"
        assert known not in body["detail"] and unknown not in body["detail"]
    a, b = (answers[known], answers[unknown])
    assert (a.json(), a.headers["retry-after"]) == (b.json(), b.headers["retry-after"])  # no oracle
    assert sign_in(client_from("203.0.113.51"), unique_email(), WRONG).status_code == 401  # others not concerned

    clock.now += 30  # one more try, then a longer wait
    assert_problem(sign_in(client_from("203.0.113.52"), known, WRONG), 401)
    assert sign_in(client_from("203.0.113.53"), known, PASSWORD).headers["retry-after"] == "60"
    clock.now += 60
    assert_problem(sign_in(client_from("203.0.113.54"), known, WRONG), 401)
    assert sign_in(client_from("203.0.113.55"), known, PASSWORD).headers["retry-after"] == "100"  # the cap


def test_a_success_resets_the_count(gateway: Any) -> None:
    client_from, clock, _ = gateway
    email = unique_email()
    client = client_from("198.51.100.2")
    register(client, email)
    for _ in range(2):
        assert_problem(sign_in(client, email, WRONG), 401)
    assert sign_in(client, email, PASSWORD).status_code == 200
    for _ in range(3):  # three failures free again
        assert_problem(sign_in(client_from("198.51.100.3"), email, WRONG), 401)
    assert_problem(sign_in(client, email, PASSWORD), 429)
    clock.now += 30
    assert sign_in(client, email, PASSWORD).status_code == 200  # after the wait: a success resets
    assert_problem(sign_in(client, email, WRONG), 401)


def test_the_pages_share_the_count(gateway: Any) -> None:
    client_from, _, _ = gateway
    email = unique_email()
    register(client_from("198.51.100.4"), email)
    for n in range(3):
        assert_problem(sign_in(client_from(f"198.51.100.{10 + n}"), email, WRONG), 401)
    page = client_from("198.51.100.20")
    token = csrf_of(page.get("/signin").text)
    answer = page.post("/signin", data={"csrf": token, "email": email, "password": PASSWORD}, follow_redirects=False)
    assert answer.status_code == 429 and answer.headers["retry-after"] == "30"


def test_failures_are_logged_without_username_or_password_and_counted(gateway: Any) -> None:
    client_from, _, metrics_port = gateway
    email = unique_email("secret")
    client = client_from("198.51.100.5")
    register(client, email)
    collect = Collect()
    logging.getLogger().addHandler(collect)
    try:
        for _ in range(4):
            sign_in(client, email, WRONG)
    finally:
        logging.getLogger().removeHandler(collect)
    lines = [line for line in collect.lines if "sign-in" in line]
    assert any('"sign-in failed"' in line and '"account": "' in line for line in lines), lines
    assert any('"sign-in throttled"' in line for line in lines), lines
    for line in collect.lines:
        assert email not in line and email.split("@")[0] not in line and WRONG not in line
    metrics = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics").text
    assert "edf_sign_in_failures_total 3.0" in metrics
    assert "edf_sign_in_throttled_total 1.0" in metrics
