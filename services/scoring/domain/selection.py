"""The selection proposal: the best-ranked applications funded within the budget and quotas.

The rule, in order:
1. Candidates are the call's scored and waitlisted applications, best-ranked first. Awards made
   already are fixed: their money is gone from `available` and they count towards the quotas.
2. Each candidate is proposed at its requested amount capped at the call's `grant_max`; one
   whose amount is below `grant_min` cannot be awarded and is passed over.
3. Fill: walking down the ranking, a candidate is proposed when its amount fits in what is
   left of the budget; one that does not fit is passed over and the walk goes on (a smaller,
   lower-ranked request may still fit).
4. Quotas, one after another (women-owned, then IDP-owned, then returnee-owned, each only
   when the call sets it): while a quota's share (by number of grants, awards made included)
   is below its minimum, the best-ranked unproposed application inside the group that fits
   the money left is added (swaps can free money); failing that, the lowest-ranked proposed
   application outside the group is swapped for the best-ranked unproposed one inside it that
   fits the budget once the other is removed, provided no quota met before is broken by the
   addition or the swap. When no such swap exists the
   quota is reported unmet: money is never left unused to force a share.
5. Fill again: money freed by swaps goes to the next candidates down the ranking that fit,
   skipping any that would break a quota met so far.

The result is deterministic: candidates are ordered by rank (distinct), never by input order.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from operator import attrgetter
from typing import NamedTuple

from services.scoring.domain.scores import rounded

# Quota name on the call -> the group of owners it protects.
QUOTA_GROUPS = {"women_owned_min_share": "women_owned", "idp_min_share": "idp", "returnee_min_share": "returnee"}


class Candidate(NamedTuple):
    application_id: uuid.UUID
    rank: int  # 1 = best
    requested: Decimal
    groups: frozenset[str] = frozenset()  # e.g. {"women_owned", "returnee"}
    awarded: Decimal | None = None  # set for an application awarded already (fixed)


@dataclass(frozen=True)
class Proposed:
    application_id: uuid.UUID
    rank: int
    amount: Decimal


@dataclass(frozen=True)
class QuotaReport:
    required: Decimal
    achieved: Decimal
    met: bool
    members: int
    grants: int


@dataclass(frozen=True)
class Selection:
    proposed: list[Proposed]
    total: Decimal
    quotas: dict[str, QuotaReport] = field(default_factory=dict)


_GROUPS: dict[tuple[str | None, str | None], frozenset[str]] = {}


def groups_of(sex: str | None, displacement_status: str | None) -> frozenset[str]:
    found = _GROUPS.get((sex, displacement_status))
    if found is None:
        names = {"women_owned"} if sex == "female" else set()
        if displacement_status in ("idp", "returnee"):
            names.add(str(displacement_status))
        found = _GROUPS[(sex, displacement_status)] = frozenset(names)
    return found


class _Portfolio:
    """The awards made plus the proposal being built, with counts per group. Candidates are
    known by their position in ranking order."""

    def __init__(self, ordered: list[Candidate], amounts: list[Decimal], available: Decimal) -> None:
        self.ordered, self.amounts = ordered, amounts
        self.remaining = available
        self.chosen: set[int] = set()
        self.grants = 0
        self.members: dict[str, int] = {}
        for candidate in ordered:
            if candidate.awarded is not None:
                self.grants += 1
                self._count(candidate.groups, +1)

    def _count(self, groups: frozenset[str], step: int) -> None:
        for group in groups:
            self.members[group] = self.members.get(group, 0) + step

    def add(self, position: int) -> None:
        self.chosen.add(position)
        self.remaining -= self.amounts[position]
        self.grants += 1
        self._count(self.ordered[position].groups, +1)

    def remove(self, position: int) -> None:
        self.chosen.remove(position)
        self.remaining += self.amounts[position]
        self.grants -= 1
        self._count(self.ordered[position].groups, -1)

    def share_met(self, group: str, share: Decimal, *, plus: int | None = None, minus: int | None = None) -> bool:
        members = self.members.get(group, 0)
        grants = self.grants
        if plus is not None:
            grants += 1
            members += group in self.ordered[plus].groups
        if minus is not None:
            grants -= 1
            members -= group in self.ordered[minus].groups
        if grants == 0:
            return share == 0
        return Fraction(members, grants) >= Fraction(share)


def select(
    candidates: Iterable[Candidate],
    available: Decimal,
    grant_min: Decimal,
    grant_max: Decimal,
    quotas: Mapping[str, Decimal],
) -> Selection:
    ordered = sorted(candidates, key=attrgetter("rank"))  # ranks are distinct: positions in the ranking
    amounts = [c.requested if c.requested <= grant_max else grant_max for c in ordered]
    pool = [i for i, c in enumerate(ordered) if c.awarded is None and amounts[i] >= grant_min]
    rules = [(name, QUOTA_GROUPS[name], share) for name, share in _in_order(quotas)]
    book = _Portfolio(ordered, amounts, available)
    _fill(book, pool, [], grant_min)
    met: list[tuple[str, Decimal]] = []
    for _, group, share in rules:
        _meet(book, pool, group, share, met)
        if book.share_met(group, share):
            met.append((group, share))
    _fill(book, pool, met, grant_min)
    proposed = [Proposed(ordered[i].application_id, ordered[i].rank, amounts[i]) for i in sorted(book.chosen)]
    reports = {name: _report(book, group, share) for name, group, share in rules}
    return Selection(proposed=proposed, total=sum((p.amount for p in proposed), Decimal(0)), quotas=reports)


def _in_order(quotas: Mapping[str, Decimal]) -> list[tuple[str, Decimal]]:
    return [(name, Decimal(quotas[name])) for name in QUOTA_GROUPS if quotas.get(name) is not None]


def _fill(book: _Portfolio, pool: list[int], keep: list[tuple[str, Decimal]], grant_min: Decimal) -> None:
    for position in pool:
        if book.remaining < grant_min:
            return  # nothing else can fit
        if position in book.chosen or book.amounts[position] > book.remaining:
            continue
        if all(book.share_met(group, share, plus=position) for group, share in keep):
            book.add(position)


def _meet(book: _Portfolio, pool: list[int], group: str, share: Decimal, keep: list[tuple[str, Decimal]]) -> None:
    """Swaps towards `group`'s share until it is met or no swap is possible."""
    members = [i for i in pool if group in book.ordered[i].groups]
    if not members:
        return
    cheapest = min(book.amounts[i] for i in members)  # a lower bound as members get chosen
    first = 0  # members before this index are proposed (only outsiders leave in this loop)
    while not book.share_met(group, share):
        while first < len(members) and members[first] in book.chosen:
            first += 1
        if first == len(members):
            return
        if cheapest <= book.remaining and _add_one(book, members[first:], keep):
            continue
        outsiders = sorted((i for i in book.chosen if group not in book.ordered[i].groups), reverse=True)
        if not outsiders or not _swap_one(book, members[first:], outsiders, cheapest, keep):
            return


def _add_one(book: _Portfolio, members: list[int], keep: list[tuple[str, Decimal]]) -> bool:
    """The best-ranked member that fits the money left, e.g. money an earlier swap freed."""
    for position in members:
        if position in book.chosen or book.amounts[position] > book.remaining:
            continue
        if all(book.share_met(g, s, plus=position) for g, s in keep):
            book.add(position)
            return True
    return False


def _swap_one(
    book: _Portfolio, members: list[int], outsiders: list[int], cheapest: Decimal, keep: list[tuple[str, Decimal]]
) -> bool:
    """The lowest-ranked outsider for the best-ranked member that fits once it is removed."""
    for out in outsiders:
        room = book.remaining + book.amounts[out]
        if cheapest > room:
            continue
        for position in members:
            if position in book.chosen or book.amounts[position] > room:
                continue
            if all(book.share_met(g, s, plus=position, minus=out) for g, s in keep):
                book.remove(out)
                book.add(position)
                return True
    return False


def _report(book: _Portfolio, group: str, share: Decimal) -> QuotaReport:
    members = book.members.get(group, 0)
    achieved = Fraction(members, book.grants) if book.grants else Fraction(0)
    return QuotaReport(
        required=share,
        achieved=rounded(achieved, 4),
        met=book.share_met(group, share),
        members=members,
        grants=book.grants,
    )
