"""Ranking tie-breaks as one byte key, and reviewer assignment (hypothesis)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.scoring.domain.assignment import Workload, choose_reviewers
from services.scoring.domain.ranking import KEY_LENGTH, jobs_per_dollar, parse_ranking_cursor, rank_key, ranking_cursor
from shared.errors import Invalid

T0 = datetime(2026, 1, 1, tzinfo=UTC)

entries = st.tuples(
    st.decimals(min_value=0, max_value=100, places=8),
    st.integers(0, 200_000),
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("10000000"), places=2),
    st.integers(0, 10**12),  # microseconds after T0
    st.uuids(),
)


def expected_order(entry: tuple[Decimal, int, Decimal, int, uuid.UUID]) -> tuple[object, ...]:
    score, jobs, requested, micros, application_id = entry
    return (-score, -Fraction(jobs) / Fraction(requested), micros, application_id.bytes)


@given(st.lists(entries, min_size=2, max_size=30, unique_by=lambda e: e[4]))
def test_the_byte_key_orders_like_the_stated_tie_breaks(
    items: list[tuple[Decimal, int, Decimal, int, uuid.UUID]],
) -> None:
    keyed = sorted(items, key=lambda e: rank_key(e[0], e[1], e[2], T0 + timedelta(microseconds=e[3]), e[4]))
    by_rule = sorted(items, key=expected_order)
    # Jobs per dollar is compared to 18 decimal places: ratios closer than that may tie.
    for a, b in zip(keyed, by_rule, strict=True):
        if a != b:
            assert a[0] == b[0] and abs(jobs_per_dollar(a[1], a[2]) - jobs_per_dollar(b[1], b[2])) < Fraction(1, 10**18)


def test_ties_break_on_jobs_per_dollar_then_submission_then_id() -> None:
    low_id, high_id = uuid.UUID(int=1), uuid.UUID(int=2)
    best = rank_key(Decimal("80"), 4, Decimal("10000"), T0, high_id)
    fewer_jobs_per_dollar = rank_key(Decimal("80"), 4, Decimal("20000"), T0 - timedelta(days=9), low_id)
    later = rank_key(Decimal("80"), 4, Decimal("10000"), T0 + timedelta(microseconds=1), low_id)
    same_but_id = rank_key(Decimal("80"), 4, Decimal("10000"), T0, low_id)
    higher_score = rank_key(Decimal("80.00000001"), 0, Decimal("30000"), T0 + timedelta(days=9), high_id)
    order = sorted([best, fewer_jobs_per_dollar, later, same_but_id, higher_score])
    assert order == [higher_score, same_but_id, best, later, fewer_jobs_per_dollar]
    assert all(len(key) == KEY_LENGTH for key in order)


def test_the_cursor_round_trips_and_refuses_garbage() -> None:
    key = rank_key(Decimal("50"), 1, Decimal("100"), T0, uuid.uuid4())
    assert parse_ranking_cursor(ranking_cursor(150, key)) == (150, key)
    for bad in ("", "x:y", "1:abcd", "-1:" + key.hex()):
        with pytest.raises(Invalid):
            parse_ranking_cursor(bad)


workloads = st.lists(
    st.builds(Workload, officer_id=st.uuids(), open_reviews=st.integers(0, 50), assigned_total=st.integers(0, 500)),
    max_size=15,
    unique_by=lambda w: w.officer_id,
)


@given(workloads, st.data(), st.integers(0, 6))
def test_reviewers_are_distinct_never_excluded_and_the_least_busy(
    officers: list[Workload], data: st.DataObject, count: int
) -> None:
    excluded = set(
        data.draw(st.lists(st.sampled_from([o.officer_id for o in officers]), max_size=5)) if officers else []
    )
    chosen = choose_reviewers(officers, excluded, count)
    eligible = [o for o in officers if o.officer_id not in excluded]
    assert len(chosen) == len(set(chosen)) == min(count, len(eligible))
    assert not set(chosen) & excluded
    if chosen:
        busiest_chosen = max((o.open_reviews, o.assigned_total) for o in officers if o.officer_id in chosen)
        passed_over = [(o.open_reviews, o.assigned_total) for o in eligible if o.officer_id not in chosen]
        assert all(load >= busiest_chosen for load in passed_over)
    assert chosen == choose_reviewers(list(reversed(officers)), excluded, count)  # deterministic
