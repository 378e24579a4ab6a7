"""Visit schedules, job retention and locations: pure rules (no web framework, session or NATS).

Rules chosen here (the call carries the parameters, the rules are the fund's):
- verification visits: one per tranche, due `VERIFICATION_INTERVAL_DAYS × seq` days after the
  grant was created (30, 60, 90 … days), each before its tranche's milestone can be verified;
  done when that milestone is verified.
- follow-up visits: due at each of the call's `monitoring_schedule_days` after the day the last
  tranche (highest seq) was paid; the n-th follow-up visit recorded (by date) fulfils the n-th one.
- any scheduled visit not done whose due date is before today is `overdue`.
- a job counts as retained at 6 months if a follow-up visit on or after the grant's first payment
  + 182 days saw it still employed; at 12 months the same with + 365 days.
- a location is kept rounded to 3 decimals (≈100 m) and must be inside Iraq's bounding box.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

VERIFICATION_INTERVAL_DAYS = 30
RETENTION_DAYS = {"6m": 182, "12m": 365}
LAT_RANGE = (Decimal("29.0"), Decimal("37.4"))
LON_RANGE = (Decimal("38.7"), Decimal("48.8"))
LOCATION_PLACES = Decimal("0.001")


def verification_due(created_on: date, seq: int) -> date:
    return created_on + timedelta(days=VERIFICATION_INTERVAL_DAYS * seq)


def follow_ups_due(last_paid_on: date, schedule_days: Iterable[int]) -> list[date]:
    return [last_paid_on + timedelta(days=days) for days in sorted(set(schedule_days))]


def in_iraq(lat: Decimal, lon: Decimal) -> bool:
    return LAT_RANGE[0] <= lat <= LAT_RANGE[1] and LON_RANGE[0] <= lon <= LON_RANGE[1]


def rounded(coordinate: Decimal) -> Decimal:
    return coordinate.quantize(LOCATION_PLACES, rounding=ROUND_HALF_EVEN)


def retention_cutoff(first_paid_on: date, horizon: str) -> date:
    return first_paid_on + timedelta(days=RETENTION_DAYS[horizon])


@dataclass(frozen=True)
class Slot:
    kind: str
    slot: int
    due_on: date
    milestone: str | None = None


@dataclass(frozen=True)
class Observation:
    """A follow-up visit's sighting of one job."""

    observed_on: date
    still_employed: bool
    kind: str = "follow_up"


def slot_status(slot: Slot, *, today: date, done: bool) -> str:
    if done:
        return "done"
    return "overdue" if slot.due_on < today else "scheduled"


def schedule_statuses(slots: Sequence[Slot], *, today: date, verified: set[str], follow_up_visits: int) -> list[str]:
    """Each slot's status: a verification slot is done when its milestone is verified; the first
    `follow_up_visits` follow-up slots (by due date) are done."""
    follow_ups = sorted((s for s in slots if s.kind == "follow_up"), key=lambda s: (s.due_on, s.slot))
    follow_ups_done = {(s.kind, s.slot) for s in follow_ups[:follow_up_visits]}
    return [
        slot_status(
            s,
            today=today,
            done=(s.milestone in verified) if s.kind == "verification" else (s.kind, s.slot) in follow_ups_done,
        )
        for s in slots
    ]


def retained(first_paid_on: date | None, observations: Iterable[Observation], horizon: str) -> bool:
    """A job is retained at `horizon` if a follow-up visit on or after the cutoff saw it employed."""
    if first_paid_on is None:
        return False
    cutoff = retention_cutoff(first_paid_on, horizon)
    return any(o.kind == "follow_up" and o.still_employed and o.observed_on >= cutoff for o in observations)
