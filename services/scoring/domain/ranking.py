"""Ranking order, as one sortable key per application (stored and indexed, so that a page of
the ranking is an index range scan and never a sort of the whole call).

Best first:
1. the higher score (to 8 decimal places, see `scores`);
2. tie: more jobs planned per dollar requested (exact ratio, to 18 decimal places);
3. tie: the earlier submission (to the microsecond);
4. tie: the application id (so that the order is total and stable).

The key is bytes, compared byte by byte the same way by PostgreSQL (`bytea`) and SQLite
(`BLOB`): fixed-width, big-endian, each "higher is better" part stored inverted.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from math import floor

from shared.errors import Invalid

SCORE_SCALE = 10**8  # the stored score's decimal places
SCORE_CEILING = 100 * SCORE_SCALE
JOBS_SCALE = 10**18
JOBS_WIDTH = 12  # bytes: up to 2**96 - 1 ≈ 7.9e28 (200,000 jobs for 0.0001 is 2e27)
JOBS_CEILING = 2 ** (8 * JOBS_WIDTH) - 1
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
KEY_LENGTH = 8 + JOBS_WIDTH + 8 + 16


def jobs_per_dollar(jobs: int, requested: Decimal) -> Fraction:
    return Fraction(jobs) / Fraction(requested) if requested > 0 else Fraction(0)


def rank_key(score: Decimal, jobs: int, requested: Decimal, submitted_at: datetime, application_id: uuid.UUID) -> bytes:
    """`score` is the stored score (0..100, 8 decimal places)."""
    score_part = SCORE_CEILING - int(score * SCORE_SCALE)
    jobs_part = JOBS_CEILING - min(floor(jobs_per_dollar(jobs, requested) * JOBS_SCALE), JOBS_CEILING)
    moment = submitted_at if submitted_at.tzinfo is not None else submitted_at.replace(tzinfo=UTC)
    micros = (moment - EPOCH) // _MICROSECOND
    return (
        score_part.to_bytes(8, "big")
        + jobs_part.to_bytes(JOBS_WIDTH, "big")
        + micros.to_bytes(8, "big")
        + application_id.bytes
    )


_MICROSECOND = datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=UTC) - EPOCH


def ranking_cursor(rank: int, key: bytes) -> str:
    """What a ranking page's `next_cursor` carries: the last rank shown and its key."""
    return f"{rank}:{key.hex()}"


def parse_ranking_cursor(text: str) -> tuple[int, bytes]:
    try:
        rank, key = text.split(":", 1)
        parsed = int(rank), bytes.fromhex(key)
    except ValueError:
        raise Invalid.field(["query", "cursor"], "not a cursor returned by this list") from None
    if parsed[0] < 0 or len(parsed[1]) != KEY_LENGTH:
        raise Invalid.field(["query", "cursor"], "not a cursor returned by this list")
    return parsed
