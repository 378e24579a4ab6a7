"""Failed sign-ins counted per account, from whatever address they come.

Each sign-in (the API's and the pages') is an attempt on the account its username names,
normalised (an email as stored, a phone without spaces or dashes) and kept only as a keyed
hash. After `free_failures` failures in a row the account is refused with 429 and `Retry-After`
for `delay` seconds, doubled at every further failure up to `max_delay`; a success resets it,
and so does `forget` seconds of quiet. An unknown account is counted exactly like a known one:
the answers (401, then 429) do not say whether it exists. Attempts in flight count too, so a
burst of parallel guesses gets no more tries than a sequence.

The counts live in the memory of each gateway process, as the other limits do (`gateway.limits`
has no shared store): with N replicas, an account gets up to N times the free failures before
every replica refuses it, and a restart forgets them (docs/deploy.md says so).

A failure is logged with the account's reference (the first 16 hex digits of the keyed hash),
never the username or the password; `edf_sign_in_failures_total` and
`edf_sign_in_throttled_total` count them for Prometheus.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter

from gateway import domain
from shared.auth import TokenConfig
from shared.errors import Unauthorized
from shared.jwk import private_pem

log = logging.getLogger("edf.gateway.signin")
_PHONE = re.compile(r"[+\d\s\-().]+")


def normalise_username(username: str) -> str:
    """One spelling per account: an email as the gateway stores it, a phone with digits only
    (and its leading `+`), anything else stripped and case-folded."""
    text = username.strip()
    try:
        return domain.normalise_email(text)
    except ValueError:
        pass
    if _PHONE.fullmatch(text):
        return re.sub(r"[\s\-().]", "", text)
    return text.casefold()


def pepper(config: TokenConfig) -> bytes:
    """The key of the accounts' references: from the gateway's signing key, so that every
    replica names an account alike and a log reader cannot test emails against them."""
    assert config.signing is not None  # the gateway's (gateway.main)
    return hmac.new(private_pem(config.signing.key), b"edf-sign-in-throttle-v1", hashlib.sha256).digest()


class Throttled(Exception):
    """The account is refused for now: `retry_after` whole seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry after {retry_after} s")
        self.retry_after = retry_after
        self.headers = {"Retry-After": str(retry_after)}


@dataclass
class _Entry:
    failures: int = 0
    in_flight: int = 0
    blocked_until: float = 0.0
    last: float = 0.0


class AccountThrottle:
    """Thread-safe; at most `max_keys` accounts are remembered (the least recently used go)."""

    def __init__(
        self,
        free_failures: int = 5,
        delay: float = 30.0,
        max_delay: float = 900.0,
        forget: float = 3600.0,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.free_failures = free_failures
        self.delay = delay
        self.max_delay = max_delay
        self.forget = forget
        self.max_keys = max_keys
        self.clock = clock
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def begin(self, key: str) -> None:
        """Counts an attempt in flight; raises `Throttled` when the account must wait."""
        now = self.clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry.in_flight == 0 and now - max(entry.last, entry.blocked_until) > self.forget:
                del self._entries[key]
                entry = None
            if entry is None:
                entry = self._entries[key] = _Entry(last=now)
                while len(self._entries) > self.max_keys:
                    self._entries.popitem(last=False)
            else:
                self._entries.move_to_end(key)
            if entry.blocked_until > now:
                raise Throttled(max(1, math.ceil(entry.blocked_until - now)))
            if entry.in_flight >= max(1, self.free_failures - entry.failures):
                raise Throttled(1)
            entry.in_flight += 1

    def end(self, key: str, *, failed: bool | None) -> int:
        """Ends an attempt: a failure (True), a success (False) or neither (None: an error that
        says nothing of the password). Returns the account's failures in a row."""
        now = self.clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return 0
            entry.in_flight = max(0, entry.in_flight - 1)
            entry.last = now
            if failed:
                entry.failures += 1
                if entry.failures >= self.free_failures:
                    wait = self.delay * 2 ** min(entry.failures - self.free_failures, 32)
                    entry.blocked_until = now + min(wait, self.max_delay)
            elif failed is False:
                entry.failures, entry.blocked_until = 0, 0.0
            failures = entry.failures
            if failures == 0 and entry.in_flight == 0:
                del self._entries[key]
            return failures


class SignInGuard:
    """The account throttle with its metrics and its log line, around one sign-in."""

    def __init__(self, throttle: AccountThrottle, pepper: bytes, registry: CollectorRegistry | None) -> None:
        self.throttle = throttle
        self.pepper = pepper
        self.failures = Counter(
            "edf_sign_in_failures",
            "Sign-ins refused for a wrong username, password or second factor (any account, known or not)",
            registry=registry,
        )
        self.throttled = Counter(
            "edf_sign_in_throttled",
            "Sign-ins refused with 429 because their account had failed too often (gateway.signin)",
            registry=registry,
        )

    def reference(self, username: str) -> str:
        """The account as logs and memory know it: a keyed hash of its normalised username."""
        digest = hmac.new(self.pepper, normalise_username(username).encode(), hashlib.sha256)
        return digest.hexdigest()[:16]

    @contextmanager
    def attempt(self, username: str) -> Iterator[None]:
        """`with guard.attempt(username): authenticate(...)`: raises `Throttled` before, counts
        an `Unauthorized` from the body as a failure (and re-raises it), a normal end as a success."""
        account = self.reference(username)
        try:
            self.throttle.begin(account)
        except Throttled as exc:
            self.throttled.inc()
            log.warning("sign-in throttled", extra={"account": account, "retry_after": exc.retry_after})
            raise
        outcome: bool | None = None
        try:
            yield
            outcome = False
        except Unauthorized:
            outcome = True
            raise
        finally:
            failures = self.throttle.end(account, failed=outcome)
            if outcome:
                self.failures.inc()
                log.warning("sign-in failed", extra={"account": account, "failures": failures})
