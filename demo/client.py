"""The demo's way to the gateway: async httpx with bounded concurrency, retries of what a busy
stack answers (429 after its Retry-After, 502–504, connection errors), paging, and waiting for
what events bring.

Applicants are different people on different networks, and the gateway limits sign-ups and
sign-ins per client address: on a gateway on this machine, each group of `PER_ADDRESS` synthetic
applicants connects from its own loopback address (127.1.x.y; Linux routes all of 127/8 to the
loopback interface), so that each address stays within the limits as a household would. Where
such an address cannot be bound (macOS has only 127.0.0.1), everyone shares one and waits out
the 429s.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx

from devstack.mfa import TotpStore, sign_in_async

T = TypeVar("T")
Headers = dict[str, str]
RETRIED = frozenset({429, 502, 503, 504})
LOOPBACK = ("127.0.0.1", "localhost", "::1")
PER_ADDRESS = 8  # applicants per client address (the gateway allows 20 sign-ups a minute from one)
RATE_LIMITED_PATIENCE = 600.0  # seconds of 429s a request waits out before giving up


class DemoError(Exception):
    """The demo cannot go on; the message says why."""


class Gateway:
    def __init__(self, url: str, concurrency: int, totp: TotpStore | None = None) -> None:
        self.totp = totp  # the staff's TOTP secrets (`devstack.mfa`); None: sign in with passwords only
        self.url = url.rstrip("/")
        self.api = f"{self.url}/api/v1"
        self.concurrency = concurrency
        self.limit = asyncio.Semaphore(concurrency)
        self.tls = httpx.create_ssl_context()  # one for every client (making one takes a while)
        self.client = self._client(None)
        self.spread = urlsplit(self.url).hostname in LOOPBACK and _bindable("127.1.0.1")
        self.by_address: dict[str, httpx.AsyncClient] = {}

    def _client(self, local_address: str | None) -> httpx.AsyncClient:
        limits = httpx.Limits(max_connections=self.concurrency * 2)
        transport = httpx.AsyncHTTPTransport(verify=self.tls, limits=limits, local_address=local_address)
        return httpx.AsyncClient(base_url=self.api, timeout=60, trust_env=False, transport=transport)

    def via(self, person: int | None) -> httpx.AsyncClient:
        """The connection of the `person`-th applicant: from their group's own loopback address."""
        if person is None or not self.spread:
            return self.client
        group = person // PER_ADDRESS
        address = f"127.1.{group // 250 % 256}.{group % 250 + 1}"
        if address not in self.by_address:
            self.by_address[address] = self._client(address)
        return self.by_address[address]

    async def close(self) -> None:
        for client in [self.client, *self.by_address.values()]:
            await client.aclose()

    async def request(
        self, method: str, path: str, *, ok: tuple[int, ...] = (200, 201), person: int | None = None, **kwargs: Any
    ) -> httpx.Response:
        """The response when its status is one of `ok`; DemoError otherwise (after retries)."""
        client = self.via(person)
        problem, failures, limited_until = "", 0, time.monotonic() + RATE_LIMITED_PATIENCE
        while failures < 8:
            wait = 0.2 * 2**failures
            async with self.limit:
                try:
                    response: httpx.Response | None = await client.request(method, path, **kwargs)
                except httpx.TransportError as exc:
                    problem, response = type(exc).__name__, None
            if response is None:
                failures += 1
            elif response.status_code in ok:
                return response
            elif response.status_code == 429 and time.monotonic() < limited_until:
                problem, wait = "429", float(response.headers.get("Retry-After") or 1)
            elif response.status_code in RETRIED:
                problem, failures = str(response.status_code), failures + 1
            else:
                raise DemoError(f"{method} {path} answered {response.status_code}: {response.text[:500]}")
            await asyncio.sleep(wait)
        raise DemoError(f"{method} {path} kept failing ({problem})")

    async def json(self, method: str, path: str, **kwargs: Any) -> Any:
        return (await self.request(method, path, **kwargs)).json()

    async def pages(self, path: str, headers: Headers, **params: Any) -> AsyncIterator[dict[str, Any]]:
        """Every item of a list, page by page (200 a page)."""
        cursor: str | None = None
        while True:
            query = {**params, "limit": 200, **({"cursor": cursor} if cursor else {})}
            page = await self.json("GET", path, headers=headers, params=query)
            for item in page["items"]:
                yield item
            cursor = page.get("next_cursor")
            if not cursor:
                return

    async def all(self, path: str, headers: Headers, **params: Any) -> list[dict[str, Any]]:
        return [item async for item in self.pages(path, headers, **params)]

    async def token(self, email: str, password: str, person: int | None = None, staff: bool = True) -> Headers:
        """Signs in; staff are enrolled in TOTP on their first sign-in and sign in with a code
        (money and award routes need the second factor); applicants (`staff=False`) with a password."""

        async def send(method: str, path: str, **kwargs: Any) -> httpx.Response:
            return await self.request(method, path, ok=(200, 201, 401, 409), person=person, **kwargs)

        if self.totp is None or not staff:
            response = await send("POST", "/auth/token", data={"username": email, "password": password})
            if response.status_code == 401:
                raise DemoError(f"{email} could not sign in (401)")
            return {"Authorization": f"Bearer {response.json()['access_token']}"}
        try:
            token = await sign_in_async(send, self.totp, email, password)
        except RuntimeError as exc:
            raise DemoError(f"{email} could not sign in ({exc})") from None
        return {"Authorization": f"Bearer {token}"}


def _bindable(address: str) -> bool:
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind((address, 0))
        return True
    except OSError:
        return False


async def until(check: Callable[[], Awaitable[T | None]], timeout: float, what: str, every: float = 0.5) -> T:
    """`check()`'s first truthy result; DemoError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise DemoError(f"{what}: not within {timeout:.0f} s")
        await asyncio.sleep(every)


async def gather_limited(items: list[T], work: Callable[[T], Awaitable[None]]) -> None:
    """Runs `work` for every item at once (the gateway's semaphore bounds the requests)."""
    await asyncio.gather(*(work(item) for item in items))
