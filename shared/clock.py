"""The time of the use cases: always UTC-aware."""

from __future__ import annotations

from datetime import UTC, date, datetime


def now() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    """Today's date in UTC."""
    return now().date()
