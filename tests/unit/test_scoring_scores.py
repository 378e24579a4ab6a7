"""Weighted scores, rounding and divergence (hypothesis for the arithmetic)."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from services.scoring.domain.scores import (
    Criterion,
    NeedsAnotherReviewer,
    Result,
    criteria_means,
    diverges,
    mean,
    outcome,
    reviewer_score,
    rounded,
    rubric_of,
    score_problems,
)

RUBRIC = rubric_of(
    [{"key": "jobs", "weight": "0.4", "max_score": 5}, {"key": "viability", "weight": "0.6", "max_score": 10}]
)


@st.composite
def rubrics(draw: st.DrawFn) -> list[Criterion]:
    """Weights in hundredths that sum to exactly 1, maxima from 1 to 100."""
    count = draw(st.integers(1, 6))
    cuts = sorted(draw(st.lists(st.integers(1, 99), min_size=count - 1, max_size=count - 1, unique=True)))
    parts = [b - a for a, b in zip([0, *cuts], [*cuts, 100], strict=True)]
    return [
        Criterion(key=f"c{i}", weight=Decimal(p) / 100, max_score=draw(st.integers(1, 100)))
        for i, p in enumerate(parts)
    ]


@st.composite
def rubric_and_scores(draw: st.DrawFn) -> tuple[list[Criterion], dict[str, int]]:
    rubric = draw(rubrics())
    return rubric, {c.key: draw(st.integers(0, c.max_score)) for c in rubric}


def test_the_contract_example() -> None:
    assert reviewer_score(RUBRIC, {"jobs": 4, "viability": 8}) == 80  # 0.4·4/5·100 + 0.6·8/10·100
    assert reviewer_score(RUBRIC, {"jobs": 5, "viability": 10}) == 100
    assert reviewer_score(RUBRIC, {"jobs": 0, "viability": 0}) == 0


@given(rubric_and_scores())
def test_a_reviewer_score_is_exact_and_on_the_0_to_100_scale(case: tuple[list[Criterion], dict[str, int]]) -> None:
    rubric, scores = case
    value = reviewer_score(rubric, scores)
    assert 0 <= value <= 100
    expected = sum((Fraction(c.weight) * scores[c.key] * 100 / c.max_score for c in rubric), Fraction(0))
    assert value == expected
    full = reviewer_score(rubric, {c.key: c.max_score for c in rubric})
    assert full == 100


@given(st.fractions(min_value=0, max_value=100), st.integers(0, 10))
def test_rounding_is_half_even_and_exact(value: Fraction, places: int) -> None:
    result = rounded(value, places)
    assert result == result.quantize(Decimal(1).scaleb(-places))
    assert abs(Fraction(result) - value) <= Fraction(1, 2 * 10**places)
    # Where Decimal division is exact, it agrees with Decimal's own ROUND_HALF_EVEN.
    if value.denominator in (1, 2, 4, 5, 8, 10, 16, 20, 25, 40, 50, 100, 1000):
        exact = Decimal(value.numerator) / Decimal(value.denominator)
        assert result == exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)


def test_half_way_goes_to_even_and_thirds_are_not_double_rounded() -> None:
    assert rounded(Fraction("72.125"), 2) == Decimal("72.12")
    assert rounded(Fraction("72.135"), 2) == Decimal("72.14")
    assert rounded(Fraction(200, 3), 2) == Decimal("66.67")
    assert rounded(Fraction(200, 3), 8) == Decimal("66.66666667")


@given(
    st.lists(st.fractions(min_value=0, max_value=100), min_size=1, max_size=10),
    st.decimals(min_value=0, max_value=100, places=2),
)
def test_divergence_is_the_spread_above_the_threshold(values: list[Fraction], threshold: Decimal) -> None:
    assert diverges(values, threshold) == (max(values) - min(values) > Fraction(threshold))
    assert min(values) <= mean(values) <= max(values)


def test_outcome_waits_then_adds_one_reviewer_once_then_scores_flagged() -> None:
    low, high = Fraction(40), Fraction(90)
    assert outcome([low], 2, 1, Decimal(20), False) is None
    assert isinstance(outcome([low, high], 2, 0, Decimal(20), False), NeedsAnotherReviewer)
    assert outcome([low, high], 3, 1, Decimal(20), True) is None  # the third is outstanding
    final = outcome([low, high, Fraction(60)], 3, 0, Decimal(20), True)
    assert isinstance(final, Result) and final.diverged and final.reviewers == 3
    assert final.shown == Decimal("63.33") and final.stored == Decimal("63.33333333")
    agreed = outcome([Fraction(80), Fraction(94)], 2, 0, Decimal(20), False)
    assert isinstance(agreed, Result) and not agreed.diverged and agreed.shown == Decimal("87.00")
    exactly = outcome([Fraction(50), Fraction(70)], 2, 0, Decimal(20), False)
    assert isinstance(exactly, Result) and not exactly.diverged  # "more than" the threshold


def test_score_problems_name_each_criterion_and_never_echo_the_value() -> None:
    problems = score_problems(RUBRIC, {"jobs": 6, "bogus": 1}, complete=True)
    assert {tuple(p["loc"]) for p in problems} == {
        ("body", "scores", "jobs"),
        ("body", "scores", "bogus"),
        ("body", "scores", "viability"),
    }
    assert all("6" not in p["msg"] for p in problems)
    assert score_problems(RUBRIC, {"jobs": 3}, complete=False) == []
    assert score_problems(RUBRIC, {"jobs": -1}, complete=False)[0]["loc"] == ["body", "scores", "jobs"]


def test_criteria_means_are_raw_scores_to_two_places() -> None:
    means = criteria_means(
        RUBRIC, [{"jobs": 4, "viability": 8}, {"jobs": 5, "viability": 9}, {"jobs": 5, "viability": 9}]
    )
    assert means == {"jobs": Decimal("4.67"), "viability": Decimal("8.67")}
