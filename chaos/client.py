"""The workload's HTTP client: the gateway only, as users would use it, tolerant of the faults
the run injects. With several gateways (two lanes of replicas) the attempts go to them in turn,
as a load balancer would send them, so a retry usually reaches the other lane.

A connection error or a 5xx (a service killed mid-request answers 502 through the gateway, a
database restart may answer 500 or 503) is retried with backoff until a deadline; a response
that keeps failing past it fails the run ("5xx that never recover"). Only requests that are
safe to repeat go through `call`; a non-idempotent create goes through `once`, and its caller
looks before it creates again.
"""

from __future__ import annotations

import asyncio
import itertools
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from devstack.mfa import STORE_FILE, TotpStore, sign_in_async

RETRIED_STATUSES = frozenset({500, 502, 503, 504})
PASSWORD = "chaos run password 1"  # noqa: S105  (the run's own throwaway accounts)


class NeverRecovered(Exception):
    """A request kept failing (connection errors or 5xx) past the deadline."""


class UnexpectedResponse(Exception):
    def __init__(self, what: str, response: httpx.Response) -> None:
        super().__init__(f"{what}: {response.status_code} {response.text[:300]}")
        self.status = response.status_code


@dataclass
class HttpStats:
    requests: int = 0
    retries: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    transport_errors: Counter[str] = field(default_factory=Counter)
    longest_outage: float = 0.0  # the longest a request kept failing before it got through
    longest_what: str = ""

    def figures(self) -> dict[str, Any]:
        server_errors = {s: n for s, n in sorted(self.statuses.items()) if s >= 500}
        shown = ", ".join(f"{s} × {n}" for s, n in server_errors.items())
        return {
            "requests": self.requests,
            "retries": self.retries,
            "5xx answers (retried)": f"{sum(server_errors.values())}{f' ({shown})' if shown else ''}",
            "connection errors (retried)": sum(self.transport_errors.values()),
            "longest time a request kept failing (s)": (
                f"{self.longest_outage:.1f} ({self.longest_what})" if self.longest_what else "0"
            ),
        }


class Api:
    def __init__(
        self,
        gateways: tuple[str, ...],
        stats: HttpStats,
        deadline: float = 180.0,
        concurrency: int = 16,
        totp: TotpStore | None = None,
    ) -> None:
        # the staff's TOTP secrets (`devstack.mfa`): the run's own, in a fresh folder unless given
        self.totp = totp or TotpStore(Path(tempfile.mkdtemp(prefix="edf-chaos-totp-")) / STORE_FILE)
        self.clients = [
            httpx.AsyncClient(
                base_url=f"{gateway}/api/v1",
                timeout=httpx.Timeout(30.0, connect=5.0),
                limits=httpx.Limits(max_connections=concurrency * 2),
            )
            for gateway in gateways
        ]
        self.turn = itertools.cycle(self.clients)
        self.stats = stats
        self.deadline = deadline
        self.slots = asyncio.Semaphore(concurrency)

    async def close(self) -> None:
        for client in self.clients:
            await client.aclose()

    async def once(self, method: str, path: str, **kwargs: Any) -> httpx.Response | None:
        """One attempt: the response, or None when there was none (connection error)."""
        response, _ = await self._attempt(method, path, **kwargs)
        return response

    async def _attempt(self, method: str, path: str, **kwargs: Any) -> tuple[httpx.Response | None, float]:
        """One attempt and how long it took once it had a slot (waiting for one is not the
        service's fault)."""
        async with self.slots:
            self.stats.requests += 1
            started = time.monotonic()
            try:
                response = await next(self.turn).request(method, path, **kwargs)
            except httpx.TransportError as exc:
                self.stats.transport_errors[type(exc).__name__] += 1
                return None, time.monotonic() - started
        self.stats.statuses[response.status_code] += 1
        return response, time.monotonic() - started

    async def call(
        self, method: str, path: str, *, ok: tuple[int, ...] = (200,), what: str = "", **kwargs: Any
    ) -> httpx.Response:
        """Repeats a request that is safe to repeat until it gets an answer that is not a fault:
        one of `ok`, or raises UnexpectedResponse for any other status. It gives up (NeverRecovered)
        when the failed attempts and the pauses between them add up to the deadline."""
        failing = 0.0
        delay = 0.2
        while True:
            response, took = await self._attempt(method, path, **kwargs)
            if response is not None and response.status_code == 429:
                await asyncio.sleep(float(response.headers.get("Retry-After", "1")))
                continue
            if response is not None and response.status_code not in RETRIED_STATUSES:
                if failing > self.stats.longest_outage:
                    self.stats.longest_outage, self.stats.longest_what = failing, what or f"{method} {path}"
                if response.status_code in ok:
                    return response
                raise UnexpectedResponse(what or f"{method} {path}", response)
            failing += took + delay
            if failing > self.deadline:
                answer = "no answer" if response is None else f"{response.status_code} {response.text[:200]}"
                raise NeverRecovered(
                    f"{what or method + ' ' + path}: still failing after {self.deadline:.0f}s ({answer})"
                )
            self.stats.retries += 1
            await asyncio.sleep(delay)
            delay = min(delay * 1.5, 2.0)

    async def items(
        self, path: str, headers: dict[str, str], params: dict[str, Any] | None = None, missing_ok: bool = False
    ) -> list[Any]:
        """Every item of a paged list; none when `missing_ok` and the list's owner answers 404."""
        found: list[Any] = []
        cursor: str | None = None
        while True:
            query = {**(params or {}), "limit": 200, **({"cursor": cursor} if cursor else {})}
            response = await self.call(
                "GET", path, headers=headers, params=query, ok=(200, 404) if missing_ok else (200,)
            )
            if response.status_code == 404:
                return []
            page = response.json()
            found += page["items"]
            cursor = page.get("next_cursor")
            if not cursor:
                return found

    async def token(self, email: str, password: str = PASSWORD) -> dict[str, str]:
        """Signs in; staff are enrolled in TOTP on their first sign-in and sign in with a code. A
        code whose answer was lost (a gateway killed) counts as used: the next attempt takes a
        new one."""
        what = f"sign-in of {email.split('@')[0]}"

        async def send(method: str, path: str, **kwargs: Any) -> httpx.Response:
            return await self.call(method, path, ok=(200, 201, 401, 409), what=what, **kwargs)

        for attempt in range(3):
            try:
                token = await sign_in_async(send, self.totp, email, password)
                return {"Authorization": f"Bearer {token}"}
            except RuntimeError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def register(self, email: str, full_name: str) -> None:
        """Signs up; 409 (an earlier attempt got through) is as good as 201."""
        await self.call(
            "POST",
            "/auth/register",
            json={"email": email, "password": PASSWORD, "full_name": full_name},
            ok=(201, 409),
            what="sign-up",
        )

    async def staff(self, admin: dict[str, str], email: str, role: str) -> dict[str, str]:
        await self.call(
            "POST",
            "/users",
            headers=admin,
            ok=(201, 409),
            what=f"creating a {role}",
            json={"email": email, "password": PASSWORD, "full_name": f"Chaos {role}", "role": role},
        )
        return await self.token(email)
