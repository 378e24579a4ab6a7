"""Monitoring's pure rules: schedules, overdue visits, retention at 6 and 12 months, locations."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from services.monitoring import domain
from services.monitoring.domain import Observation, Slot

DAY = date(2026, 3, 1)
dates = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 1, 1))


def test_verification_visits_are_due_every_30_days_per_tranche() -> None:
    assert [domain.verification_due(DAY, seq) for seq in (1, 2, 3)] == [
        date(2026, 3, 31), date(2026, 4, 30), date(2026, 5, 30)]


def test_follow_ups_are_due_after_the_last_payment_once_each_in_order() -> None:
    assert domain.follow_ups_due(DAY, [365, 90, 180, 90]) == [
        DAY + timedelta(days=90), DAY + timedelta(days=180), DAY + timedelta(days=365)]


def test_statuses_done_overdue_and_scheduled() -> None:
    slots = [Slot("verification", 1, date(2026, 2, 1), "agreement_signed"),
             Slot("verification", 2, date(2026, 2, 10), "assets_purchased"),
             Slot("verification", 3, date(2026, 4, 1), "jobs_filled"),
             Slot("follow_up", 1, date(2026, 2, 15)), Slot("follow_up", 2, date(2026, 2, 20)),
             Slot("follow_up", 3, date(2026, 3, 1))]
    assert domain.schedule_statuses(slots, today=DAY, verified={"assets_purchased"}, follow_up_visits=1) == [
        "overdue", "done", "scheduled", "done", "overdue", "scheduled"]  # due today is not overdue yet


@given(first=dates, offset=st.integers(-400, 800), employed=st.booleans(),
       kind=st.sampled_from(["follow_up", "verification"]))
def test_retention_needs_a_follow_up_on_or_after_the_cutoff_seeing_the_job(
        first: date, offset: int, employed: bool, kind: str) -> None:
    seen = [Observation(first + timedelta(days=offset), employed, kind)]
    for horizon, days in (("6m", 182), ("12m", 365)):
        assert domain.retained(first, seen, horizon) is (kind == "follow_up" and employed and offset >= days)
    assert domain.retained(None, seen, "6m") is False


@given(first=dates, observations=st.lists(st.tuples(st.integers(0, 800), st.booleans()), max_size=6))
def test_retained_at_12_months_implies_retained_at_6(first: date, observations: list[tuple[int, bool]]) -> None:
    seen = [Observation(first + timedelta(days=d), e) for d, e in observations]
    if domain.retained(first, seen, "12m"):
        assert domain.retained(first, seen, "6m")


@given(lat=st.decimals(min_value=Decimal("29.0"), max_value=Decimal("37.4"), places=6),
       lon=st.decimals(min_value=Decimal("38.7"), max_value=Decimal("48.8"), places=6))
def test_locations_in_iraq_are_kept_to_about_100_m(lat: Decimal, lon: Decimal) -> None:
    assert domain.in_iraq(lat, lon)
    for value in (lat, lon):
        kept = domain.rounded(value)
        assert kept.as_tuple().exponent == -3 and abs(kept - value) <= Decimal("0.0005")


def test_outside_iraq() -> None:
    assert not domain.in_iraq(Decimal("33.3"), Decimal("50.0"))
    assert not domain.in_iraq(Decimal("28.99"), Decimal("44"))
