"""The gateway behind a real reverse proxy (a separate process on loopback, as an ingress
controller): each client address has its own limits, a client's own `X-Forwarded-For` does not
get it out of them, the services are told the real client, and HSTS is sent over HTTPS only.

The clients connect from 127.0.0.2 and 127.0.0.3 (Linux routes all of 127/8 to loopback); the
proxy reaches the gateway from 127.0.0.1, the one trusted proxy address.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gateway.main import create_app
from shared.auth import Role, issue_token
from shared.migrate import upgrade
from tests.support.gateway import bearer, gateway_settings, unique_email
from tests.support.keys import signing_config
from tests.support.reverse_proxy import ReverseProxy
from tests.support.servers import ServerThread, echo_app

HSTS = "strict-transport-security"


@pytest.fixture(scope="module")
def gateway_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A gateway served by uvicorn as the entrypoint serves it (`--no-proxy-headers`), its
    applications upstream an echo of what it receives; 3 sign-ins per address per minute."""
    url = f"sqlite:///{Path(tmp_path_factory.mktemp('gateway')) / 'gateway.db'}"
    upgrade("gateway", url)
    with ServerThread(echo_app) as echo:
        settings = gateway_settings(
            url, applications_url=echo.url, login_address_rate_limit=3, trusted_proxies="127.0.0.1"
        )
        with ServerThread(create_app(settings), proxy_headers=False) as gateway:
            yield gateway.url


@pytest.fixture(scope="module")
def https_proxy(gateway_url: str) -> Iterator[str]:
    with ReverseProxy(gateway_url, scheme="https") as proxy:
        yield proxy.url


def client_from(address: str) -> httpx.Client:
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=30, trust_env=False)


def sign_in(client: httpx.Client, base: str, **headers: str) -> int:
    form = {"username": unique_email(), "password": "a wrong password"}  # another account each time
    return client.post(f"{base}/api/v1/auth/token", data=form, headers=headers).status_code


def test_two_client_addresses_are_limited_separately_and_a_forged_header_does_not_escape(https_proxy: str) -> None:
    with client_from("127.0.0.2") as a, client_from("127.0.0.3") as b:
        assert [sign_in(a, https_proxy) for _ in range(3)] == [401, 401, 401]
        assert sign_in(a, https_proxy) == 429
        assert sign_in(b, https_proxy) == 401  # another client behind the same proxy: its own count
        # A's own X-Forwarded-For stays left of what the proxy appends: A is still A.
        assert sign_in(a, https_proxy, **{"X-Forwarded-For": "198.51.100.7"}) == 429
        assert sign_in(a, https_proxy, **{"X-Forwarded-For": "127.0.0.1"}) == 429  # even "I am the proxy"
        assert [sign_in(b, https_proxy) for _ in range(3)] == [401, 401, 429]


def test_a_client_that_is_not_a_trusted_proxy_cannot_choose_its_address(gateway_url: str) -> None:
    with client_from("127.0.0.4") as direct:
        answers = [sign_in(direct, gateway_url, **{"X-Forwarded-For": f"198.51.100.{n}"}) for n in range(4)]
    assert answers == [401, 401, 401, 429]


def test_the_services_are_told_the_real_client(https_proxy: str) -> None:
    token = issue_token(signing_config(), uuid.uuid4(), "a@example.org", Role.applicant)
    with client_from("127.0.0.5") as client:
        echoed = client.get(
            f"{https_proxy}/api/v1/applications", headers={**bearer(token), "X-Forwarded-For": "198.51.100.9"}
        )
    assert echoed.status_code == 200, echoed.text
    received = dict(echoed.json()["headers"])
    assert received["x-forwarded-for"] == "127.0.0.5"
    assert received["x-forwarded-proto"] == "https"


def test_hsts_over_https_only(gateway_url: str, https_proxy: str) -> None:
    with client_from("127.0.0.6") as client:
        page = client.get(f"{https_proxy}/signin")
        assert page.status_code == 200 and page.headers[HSTS].startswith("max-age=")
        assert HSTS in client.get(f"{https_proxy}/healthz").headers
        plain = client.get(f"{gateway_url}/signin")
        assert plain.status_code == 200 and HSTS not in plain.headers
        # an untrusted client's own X-Forwarded-Proto does not make plain HTTP secure
        assert HSTS not in client.get(f"{gateway_url}/signin", headers={"X-Forwarded-Proto": "https"}).headers
    with ReverseProxy(gateway_url, scheme="http") as http_proxy, client_from("127.0.0.7") as client:
        assert HSTS not in client.get(f"{http_proxy.url}/signin", headers={"X-Forwarded-Proto": "https"}).headers
