"""Monitoring's pure rules: schedules, overdue visits, retention at 6 and 12 months, locations."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from services.monitoring.domain import applications as application_rules
from services.monitoring.domain import schedule, sectors
from services.monitoring.domain.schedule import Observation, Slot

DAY = date(2026, 3, 1)
dates = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 1, 1))


def test_verification_visits_are_due_every_30_days_per_tranche() -> None:
    assert [schedule.verification_due(DAY, seq) for seq in (1, 2, 3)] == [
        date(2026, 3, 31),
        date(2026, 4, 30),
        date(2026, 5, 30),
    ]


def test_follow_ups_are_due_after_the_last_payment_once_each_in_order() -> None:
    assert schedule.follow_ups_due(DAY, [365, 90, 180, 90]) == [
        DAY + timedelta(days=90),
        DAY + timedelta(days=180),
        DAY + timedelta(days=365),
    ]


def test_statuses_done_overdue_and_scheduled() -> None:
    slots = [
        Slot("verification", 1, date(2026, 2, 1), "agreement_signed"),
        Slot("verification", 2, date(2026, 2, 10), "assets_purchased"),
        Slot("verification", 3, date(2026, 4, 1), "jobs_filled"),
        Slot("follow_up", 1, date(2026, 2, 15)),
        Slot("follow_up", 2, date(2026, 2, 20)),
        Slot("follow_up", 3, date(2026, 3, 1)),
    ]
    assert schedule.schedule_statuses(slots, today=DAY, verified={"assets_purchased"}, follow_up_visits=1) == [
        "overdue",
        "done",
        "scheduled",
        "done",
        "overdue",
        "scheduled",
    ]  # due today is not overdue yet


@given(
    first=dates,
    offset=st.integers(-400, 800),
    employed=st.booleans(),
    kind=st.sampled_from(["follow_up", "verification"]),
)
def test_retention_needs_a_follow_up_on_or_after_the_cutoff_seeing_the_job(
    first: date, offset: int, employed: bool, kind: str
) -> None:
    seen = [Observation(first + timedelta(days=offset), employed, kind)]
    for horizon, days in (("6m", 182), ("12m", 365)):
        assert schedule.retained(first, seen, horizon) is (kind == "follow_up" and employed and offset >= days)
    assert schedule.retained(None, seen, "6m") is False


@given(first=dates, observations=st.lists(st.tuples(st.integers(0, 800), st.booleans()), max_size=6))
def test_retained_at_12_months_implies_retained_at_6(first: date, observations: list[tuple[int, bool]]) -> None:
    seen = [Observation(first + timedelta(days=d), e) for d, e in observations]
    if schedule.retained(first, seen, "12m"):
        assert schedule.retained(first, seen, "6m")


@given(
    lat=st.decimals(min_value=Decimal("29.0"), max_value=Decimal("37.4"), places=6),
    lon=st.decimals(min_value=Decimal("38.7"), max_value=Decimal("48.8"), places=6),
)
def test_locations_in_iraq_are_kept_to_about_100_m(lat: Decimal, lon: Decimal) -> None:
    assert schedule.in_iraq(lat, lon)
    for value in (lat, lon):
        kept = schedule.rounded(value)
        assert kept.as_tuple().exponent == -3 and abs(kept - value) <= Decimal("0.0005")


def test_outside_iraq() -> None:
    assert not schedule.in_iraq(Decimal("33.3"), Decimal("50.0"))
    assert not schedule.in_iraq(Decimal("28.99"), Decimal("44"))


# An application's status from events of two streams, in any order between them.
T0 = datetime(2026, 5, 1, 9, tzinfo=UTC)


def replay(events: list[tuple[str, datetime | None]]) -> str:
    status, decided_at = "submitted", None
    for incoming, at in events:
        status, decided_at = application_rules.next_application_status(status, decided_at, incoming, at)
    return status


def test_statuses_move_forward_only() -> None:
    assert replay([("eligible", None), ("under_review", None), ("scored", None)]) == "scored"
    assert replay([("scored", None), ("under_review", None), ("eligible", None)]) == "scored"
    assert replay([("awarded", T0), ("scored", None), ("eligible", None)]) == "awarded"
    assert replay([("ineligible", None)]) == "ineligible"
    assert replay([("under_review", None), ("submitted", None)]) == "under_review"


def test_withdrawn_wins_whatever_arrives_before_or_after() -> None:
    assert replay([("eligible", None), ("withdrawn", None), ("awarded", T0)]) == "withdrawn"
    assert replay([("awarded", T0), ("withdrawn", None)]) == "withdrawn"
    assert replay([("withdrawn", None), ("under_review", None), ("scored", None)]) == "withdrawn"


def test_among_decisions_the_later_one_wins() -> None:
    later = T0 + timedelta(days=3)
    assert replay([("waitlisted", T0), ("awarded", later)]) == "awarded"
    assert replay([("awarded", later), ("waitlisted", T0)]) == "awarded"
    assert replay([("rejected", later), ("waitlisted", T0), ("scored", None)]) == "rejected"
    # a naive time (as SQLite returns what it stored) is UTC
    assert application_rules.next_application_status("waitlisted", T0.replace(tzinfo=None), "awarded", later) == (
        "awarded",
        later,
    )


PATH = [
    ("eligible", None),
    ("under_review", None),
    ("scored", None),
    ("waitlisted", T0),
    ("awarded", T0 + timedelta(days=1)),
]


@given(order=st.permutations(range(len(PATH))), withdrawn_at=st.none() | st.integers(0, len(PATH)))
def test_any_delivery_order_ends_where_the_in_order_delivery_ends(order: list[int], withdrawn_at: int | None) -> None:
    events = [PATH[i] for i in order]
    if withdrawn_at is not None:
        events.insert(withdrawn_at, ("withdrawn", None))
    assert replay(events) == ("withdrawn" if withdrawn_at is not None else "awarded")


def test_edf_sectors_map_to_dac_purpose_codes() -> None:
    assert sectors.dac_sector("agriculture") == ("31120", "Agricultural development")
    assert sectors.dac_sector("handicrafts")[0] == "32140"
    assert sectors.dac_sector("trade") == sectors.dac_sector(None) == ("16020", "Employment creation")
    assert all(len(code) == 5 and code.isdigit() for code, _ in sectors.DAC_SECTORS.values())
