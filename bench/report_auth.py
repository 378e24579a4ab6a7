"""The `nats_auth` scenario in docs/benchmarks.md (bench/auth_cost.py measures it): submits/s and
approve → `payment.instructed` p99 with NATS's users and permissions and without, beside each other,
against the issue's limit of 10 % slower with auth."""

from __future__ import annotations

from typing import Any

from bench.rows import Row, ms

SLOWER_LIMIT = 10.0  # % slower with auth than without, at most
TARGET = "≤ 10 % slower with auth"


def _verdict(slower: float | None) -> str:
    if slower is None:
        return "no comparison (a figure is 0)"
    return f"{slower:.1f} % slower with auth" if slower >= 0 else f"{-slower:.1f} % faster with auth"


def _short(slower: float | None) -> str:
    return "" if slower is None else (f"{slower:.1f} % slower" if slower >= 0 else f"{-slower:.1f} % faster")


def submits_slower(figures: dict[str, Any]) -> float | None:
    """% fewer submits per second with auth than without (negative: more); None if one is 0."""
    on, off = figures["with_auth"]["submit"]["per_second"], figures["without_auth"]["submit"]["per_second"]
    return (off - on) / off * 100 if on > 0 and off > 0 else None


def latency_slower(figures: dict[str, Any]) -> float | None:
    """% longer approve → payment.instructed p99 with auth than without (negative: shorter)."""
    on = figures["with_auth"]["instructed_latency"]["p99_ms"]
    off = figures["without_auth"]["instructed_latency"]["p99_ms"]
    return (on - off) / off * 100 if on > 0 and off > 0 else None


def rows(figures: dict[str, Any]) -> list[Row]:
    on, off = figures["with_auth"], figures["without_auth"]
    s_on, s_off = on["submit"]["per_second"], off["submit"]["per_second"]
    l_on, l_off = on["instructed_latency"], off["instructed_latency"]
    submits, latency = submits_slower(figures), latency_slower(figures)
    limit = 1 + SLOWER_LIMIT / 100
    return [
        Row(
            "application submits: NATS auth on vs off",
            f"{figures['concurrency']} connections, {figures['runs']} rounds each",
            f"with auth **{s_on:,.0f}/s**, without {s_off:,.0f}/s: {_verdict(submits)}",
            TARGET,
            None if submits is None else submits <= SLOWER_LIMIT,
            "",
            None if submits is None else s_on * limit / s_off,  # ≥ 1: on ≥ off ÷ 1.1 (a floor)
            _short(submits),
        ),
        Row(
            "approve → `payment.instructed` p99: NATS auth on vs off",
            f"{figures['latency_samples']} sequential approvals × {figures['runs']} runs each",
            f"with auth **p99 {ms(l_on['p99_ms'])}** (p50 {ms(l_on['p50_ms'])}), without p99 {ms(l_off['p99_ms'])} "
            f"(p50 {ms(l_off['p50_ms'])}): {_verdict(latency)}",
            TARGET,
            None if latency is None else latency <= SLOWER_LIMIT,
            "",
            None if latency is None else l_off["p99_ms"] * limit / l_on["p99_ms"],  # ≥ 1: on ≤ off × 1.1 (a ceiling)
            _short(latency),
        ),
    ]


def details(figures: dict[str, Any]) -> str:
    reused = [name.removesuffix(" scenario") for name in figures["with_auth"].get("from") or []]
    if len(reused) == 2:
        source = f"those of this run's {reused[0]} and {reused[1]} scenarios"
    elif reused:
        source = f"those of this run's {reused[0]} scenario and, for the other, measured on the main stack afterwards"
    else:
        source = "measured on the main stack after the yardsticks"
    return f"""**NATS authorization's cost** (`bench/auth_cost.py`). The two figures issue #15 names, with
the shipped NATS users and permissions (the main stack: each app its own user,
`deploy/nats/auth.conf`) and without them. With auth they are {source}. Without: after the main
stack has stopped, a second stack on fresh databases of the same PostgreSQL runs with
`EDF_DEV_NATS_AUTH=off` (devstack: a nats-server with no authorization, the apps with no NATS user;
a knob for measuring only) and the submissions and disbursement measurements run on it with the
same arguments. *Slower with auth*: fewer submits per second, or a longer p99, by that share of the
figure without. The stacks run one after the other, not at once, and the main one has run the
other scenarios too: on a busy machine the difference moves by more than the cost of the auth.
"""
