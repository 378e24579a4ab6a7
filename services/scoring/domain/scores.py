"""Rubric scores: what an officer may enter, each reviewer's weighted score, the result.

Arithmetic is exact: weights and scores are turned into exact fractions (a `Decimal` converts
to a `Fraction` without loss), so that dividing by a criterion's maximum or by the number of
reviewers loses nothing; each figure is rounded once, ROUND_HALF_EVEN, when it leaves here:
to 8 decimal places for storing and ranking (`STORED_PLACES`), to 2 for showing and events
(`SHOWN_PLACES`). Divergence compares the exact reviewer scores.

- A reviewer's score: Σ weightᵢ × scoreᵢ / max_scoreᵢ × 100, on a 0–100 scale (weights sum to 1).
- The application's score: the mean of its submitted reviewers' scores.
- Divergence: highest minus lowest reviewer score above the call's `divergence_threshold`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

STORED_PLACES = 8
SHOWN_PLACES = 2


@dataclass(frozen=True)
class Criterion:
    key: str
    weight: Decimal
    max_score: int


def rubric_of(raw: Sequence[Mapping[str, Any]]) -> list[Criterion]:
    """The call's rubric as stored (JSON: weights as decimal strings)."""
    return [Criterion(key=str(c["key"]), weight=Decimal(str(c["weight"])), max_score=int(c["max_score"])) for c in raw]


def score_problems(rubric: Sequence[Criterion], scores: Mapping[str, int], *, complete: bool) -> list[dict[str, Any]]:
    """Each wrong score named by its criterion (never echoing the value); with `complete`,
    each criterion without a score too."""
    problems: list[dict[str, Any]] = []
    known = {c.key for c in rubric}
    for key in scores:
        if key not in known:
            problems.append({"loc": ["body", "scores", key], "msg": "not a criterion of this call's rubric"})
    for criterion in rubric:
        value = scores.get(criterion.key)
        if value is None:
            if complete:
                problems.append(
                    {
                        "loc": ["body", "scores", criterion.key],
                        "msg": f"required before submitting: a score from 0 to {criterion.max_score}",
                    }
                )
        elif not 0 <= value <= criterion.max_score:
            problems.append(
                {
                    "loc": ["body", "scores", criterion.key],
                    "msg": f"must be a whole number from 0 to {criterion.max_score}",
                }
            )
    return problems


def reviewer_score(rubric: Sequence[Criterion], scores: Mapping[str, int]) -> Fraction:
    """Σ weight × score / max × 100, exact. Every criterion must have a valid score."""
    return sum((Fraction(c.weight) * scores[c.key] * 100 / c.max_score for c in rubric), Fraction(0))


def mean(values: Sequence[Fraction]) -> Fraction:
    if not values:
        raise ValueError("the mean of no reviews")
    return sum(values, Fraction(0)) / len(values)


def spread(values: Sequence[Fraction]) -> Fraction:
    return max(values) - min(values) if values else Fraction(0)


def diverges(values: Sequence[Fraction], threshold: Decimal) -> bool:
    """Reviewers differ by more than the threshold (points on the 0–100 scale)."""
    return spread(values) > Fraction(threshold)


def criteria_means(rubric: Sequence[Criterion], reviews: Sequence[Mapping[str, int]]) -> dict[str, Decimal]:
    """Each criterion's mean raw score (0..max_score) over the reviews, shown to 2 places."""
    return {c.key: rounded(mean([Fraction(r[c.key]) for r in reviews]), SHOWN_PLACES) for c in rubric}


def rounded(value: Fraction, places: int) -> Decimal:
    """`value` to `places` decimal places, ROUND_HALF_EVEN, computed on integers (no double rounding)."""
    scaled = value * 10**places
    quotient, remainder = divmod(scaled.numerator, scaled.denominator)
    twice = 2 * remainder
    if twice > scaled.denominator or (twice == scaled.denominator and quotient % 2 == 1):
        quotient += 1
    return Decimal(quotient).scaleb(-places)


@dataclass(frozen=True)
class Result:
    """What an application's submitted reviews come to."""

    score: Fraction
    reviewers: int
    diverged: bool

    @property
    def stored(self) -> Decimal:
        return rounded(self.score, STORED_PLACES)

    @property
    def shown(self) -> Decimal:
        return rounded(self.score, SHOWN_PLACES)


@dataclass(frozen=True)
class NeedsAnotherReviewer:
    """Reviewers diverged: one more is assigned (once per application) before it is scored."""

    spread: Fraction


Outcome = Result | NeedsAnotherReviewer | None


def outcome(
    reviewer_scores: Sequence[Fraction], required: int, outstanding: int, threshold: Decimal, extra_assigned: bool
) -> Outcome:
    """After a review comes in: None while reviews are outstanding; one more reviewer when the
    reviews diverge and none was added yet; else the result (flagged if they diverged)."""
    if outstanding > 0 or len(reviewer_scores) < required:
        return None
    diverged = diverges(reviewer_scores, threshold)
    if diverged and not extra_assigned:
        return NeedsAnotherReviewer(spread(reviewer_scores))
    return Result(score=mean(reviewer_scores), reviewers=len(reviewer_scores), diverged=diverged or extra_assigned)
