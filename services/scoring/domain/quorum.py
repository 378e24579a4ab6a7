"""The committee's quorum: a decision is applied once enough distinct members agree on it.

A member's ballot names the application's outcome and the amount (None for a reject or a
waitlist; for an award the amount it would be made at, so an award "at the requested amount"
and one at that same figure are the same decision). Ballots that differ are competing
proposals: each counts only the members who submitted exactly it. A member counts once however
often they submit, and a recused member never counts.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Ballot:
    member: uuid.UUID
    decision: str  # awarded, rejected, waitlisted
    amount: Decimal | None

    def agrees_with(self, other: Ballot) -> bool:
        return self.decision == other.decision and self.amount == other.amount


def approvals(ballots: Iterable[Ballot], ballot: Ballot, recused: Iterable[uuid.UUID] = ()) -> int:
    """Distinct members, recused ones left out, whose ballot is the same decision as `ballot`."""
    out = set(recused)
    return len({b.member for b in ballots if b.agrees_with(ballot) and b.member not in out})


def reached(count: int, quorum: int) -> bool:
    return count >= max(quorum, 1)


def competing(ballots: Iterable[Ballot], ballot: Ballot) -> bool:
    """Whether another member proposed a different decision for the same application."""
    return any(b.member != ballot.member and not b.agrees_with(ballot) for b in ballots)
