"""Pure rules of the gateway behind an ingress (trusted proxies) and of the per-account throttle."""

from __future__ import annotations

import pytest

from gateway.forwarded import TrustedProxies, parse_address
from gateway.signin import AccountThrottle, Throttled, normalise_username

TRUSTED = TrustedProxies.parse("10.0.0.0/8, 127.0.0.1, ::1")


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        ("203.0.113.9", ["198.51.100.1"], "203.0.113.9"),  # an untrusted peer's header is ignored
        ("10.1.2.3", ["203.0.113.9"], "203.0.113.9"),  # the ingress says who it served
        ("10.1.2.3", ["198.51.100.1, 203.0.113.9"], "203.0.113.9"),  # the client's own claim stays left
        ("10.1.2.3", ["198.51.100.1", "203.0.113.9, 10.9.9.9"], "203.0.113.9"),  # two proxies, two headers
        ("10.1.2.3", ["10.7.7.7, 10.8.8.8"], "10.7.7.7"),  # every hop trusted: the leftmost
        ("10.1.2.3", [], "10.1.2.3"),  # no header: the proxy itself
        ("10.1.2.3", ["garbage, 203.0.113.9"], "203.0.113.9"),
        ("10.1.2.3", ["203.0.113.9, garbage"], "10.1.2.3"),  # a hop that is no address ends the walk
        ("10.1.2.3", ["[2001:db8::1]:4711"], "2001:db8::1"),
        ("10.1.2.3", ["203.0.113.9:4711"], "203.0.113.9"),
        ("::1", ["::ffff:203.0.113.9"], "203.0.113.9"),
    ],
)
def test_the_client_is_the_rightmost_untrusted_hop(peer: str, forwarded: list[str], client: str) -> None:
    assert TRUSTED.client(peer, forwarded) == client


def test_trusted_proxies_parse_ranges_and_refuse_star_and_junk() -> None:
    assert "10.200.0.1" in TRUSTED and "11.0.0.1" not in TRUSTED and "::1" in TRUSTED
    assert "testclient" not in TRUSTED and parse_address("testclient") is None
    assert TrustedProxies.parse("").networks == ()
    with pytest.raises(ValueError, match=r"\*"):
        TrustedProxies.parse("*")
    with pytest.raises(ValueError, match="not an address"):
        TrustedProxies.parse("10.0.0.0/8, ingress")


def test_usernames_are_normalised() -> None:
    assert normalise_username("  Someone@Example.ORG ") == normalise_username("someone@example.org")
    assert normalise_username("+964 770-123 4567") == "+9647701234567"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_failures_block_with_a_growing_delay_up_to_a_cap_and_success_resets() -> None:
    clock = Clock()
    throttle = AccountThrottle(free_failures=3, delay=10, max_delay=35, forget=3600, clock=clock)

    def fail() -> int:
        throttle.begin("a")
        return throttle.end("a", failed=True)

    assert [fail(), fail(), fail()] == [1, 2, 3]
    with pytest.raises(Throttled) as refused:
        throttle.begin("a")
    assert refused.value.retry_after == 10
    throttle.begin("b")  # another account is not concerned
    clock.now += 10
    assert fail() == 4
    with pytest.raises(Throttled) as refused:
        throttle.begin("a")
    assert refused.value.retry_after == 20
    clock.now += 20
    fail()
    with pytest.raises(Throttled) as refused:
        throttle.begin("a")
    assert refused.value.retry_after == 35  # 40, capped
    clock.now += 35
    throttle.begin("a")
    assert throttle.end("a", failed=False) == 0  # a success
    assert [fail(), fail()] == [1, 2]
    clock.now += 3601  # quiet for longer than `forget`
    assert fail() == 1


def test_parallel_attempts_get_no_more_tries_than_a_sequence() -> None:
    throttle = AccountThrottle(free_failures=3, delay=10, clock=Clock())
    for _ in range(3):
        throttle.begin("a")
    with pytest.raises(Throttled):
        throttle.begin("a")  # three in flight already: as many as the failures left
    throttle.end("a", failed=None)  # an error that says nothing of the password
    throttle.begin("a")
