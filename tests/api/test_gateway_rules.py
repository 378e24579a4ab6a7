"""The gateway's pure rules and its in-memory rate limiter."""

from __future__ import annotations

import pytest

from gateway import domain, limits
from shared.auth import Role


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("  Alice.Smith+grants@Example.ORG ", "alice.smith+grants@example.org"),
        ("admin@edf.local", "admin@edf.local"),
        ("x@sub-domain.example.iq", "x@sub-domain.example.iq"),
    ],
)
def test_emails_are_normalised(given: str, expected: str) -> None:
    assert domain.normalise_email(given) == expected


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "plain",
        "@example.org",
        "a@",
        "a@b",
        "a b@example.org",
        "a@-example.org",
        "a..b@example.org",
        "a@example..org",
        "l" * 65 + "@example.org",
        "a@" + "d" * 250 + ".org",
        "a@example.org\nx@example.org",
    ],
)
def test_bad_emails_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="email"):
        domain.normalise_email(bad)


def test_password_policy() -> None:
    assert domain.check_password("0123456789") == "0123456789"
    for bad in ("012345678", "x" * 257, " " * 10):
        with pytest.raises(ValueError):
            domain.check_password(bad)


def test_roles() -> None:
    assert domain.parse_role("officer") is Role.officer
    with pytest.raises(ValueError, match="unknown role"):
        domain.parse_role("root")


def test_rate_limiter_slides_and_keeps_keys_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(limits.time, "monotonic", lambda: now[0])
    limiter = limits.RateLimiter(limit=2, window=60)
    assert limiter.hit("a") is None
    now[0] += 30
    assert limiter.hit("a") is None
    assert limiter.hit("a") == 30  # the first hit leaves the window in 30 s
    assert limiter.hit("b") is None
    now[0] += 30
    assert limiter.hit("a") is None  # the first hit has left the window
    assert limiter.hit("a") == 30


def test_rate_limiter_bounds_its_memory() -> None:
    limiter = limits.RateLimiter(limit=1, window=60, max_keys=3)
    for key in "abcd":
        assert limiter.hit(key) is None
    assert limiter.hit("a") is None  # "a" was the least recently used and was dropped
    assert limiter.hit("d") is not None
