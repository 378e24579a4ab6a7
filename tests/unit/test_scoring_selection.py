"""The selection proposal: never over budget, quota met whenever feasible, deterministic."""

from __future__ import annotations

import uuid
from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from services.scoring.domain.assignment import ApplicationStatus
from services.scoring.domain.decisions import CallTerms, Decision, Refused, decide
from services.scoring.domain.selection import Candidate, select

GRANT_MIN, GRANT_MAX = Decimal("5000"), Decimal("30000")
WOMEN = "women_owned_min_share"


def candidate(
    rank: int, requested: str | Decimal, woman: bool = False, awarded: Decimal | None = None, idp: bool = False
) -> Candidate:
    groups = {"women_owned"} if woman else set()
    if idp:
        groups.add("idp")
    return Candidate(
        application_id=uuid.UUID(int=rank),
        rank=rank,
        requested=Decimal(requested),
        groups=frozenset(groups),
        awarded=awarded,
    )


@st.composite
def pools(draw: st.DrawFn, uniform: bool = False) -> list[Candidate]:
    count = draw(st.integers(0, 40))
    same = Decimal(draw(st.integers(5, 30)) * 1000)
    result = []
    for rank in range(1, count + 1):
        requested = same if uniform else Decimal(draw(st.integers(1000, 40000)))
        woman = draw(st.booleans())
        awarded = None if uniform or draw(st.integers(0, 9)) != 0 else min(requested, GRANT_MAX)
        result.append(candidate(rank, requested, woman, awarded, idp=draw(st.booleans())))
    return result


shares = st.sampled_from([Decimal("0"), Decimal("0.25"), Decimal("0.3"), Decimal("0.5"), Decimal("0.75"), Decimal("1")])
budgets = st.integers(0, 400).map(lambda k: Decimal(k) * 1000)


@given(pools(), budgets, shares, st.randoms(use_true_random=False))
def test_never_over_budget_amounts_in_range_and_independent_of_input_order(
    pool: list[Candidate], available: Decimal, share: Decimal, rng: object
) -> None:
    result = select(pool, available, GRANT_MIN, GRANT_MAX, {WOMEN: share})
    assert result.total == sum((p.amount for p in result.proposed), Decimal(0)) <= available
    by_id = {c.application_id: c for c in pool}
    for proposed in result.proposed:
        chosen = by_id[proposed.application_id]
        assert chosen.awarded is None
        assert GRANT_MIN <= proposed.amount == min(chosen.requested, GRANT_MAX)
    assert [p.rank for p in result.proposed] == sorted(p.rank for p in result.proposed)
    shuffled = list(pool)
    rng.shuffle(shuffled)  # type: ignore[attr-defined]
    assert select(shuffled, available, GRANT_MIN, GRANT_MAX, {WOMEN: share}) == result


@given(pools(), budgets)
def test_without_quotas_it_is_the_ranking_filled_down_to_what_fits(pool: list[Candidate], available: Decimal) -> None:
    result = select(pool, available, GRANT_MIN, GRANT_MAX, {})
    chosen = {p.application_id for p in result.proposed}
    left = available - result.total
    for c in pool:
        if c.awarded is None and c.application_id not in chosen and min(c.requested, GRANT_MAX) >= GRANT_MIN:
            assert min(c.requested, GRANT_MAX) > left  # anything left out does not fit
    # Walking down the ranking, nothing passed over would have fitted at the time.
    remaining = available
    for c in sorted(pool, key=lambda c: c.rank):
        amount = min(c.requested, GRANT_MAX)
        if c.awarded is None and amount >= GRANT_MIN:
            assert (c.application_id in chosen) == (amount <= remaining)
            if c.application_id in chosen:
                remaining -= amount


@given(pools(uniform=True), budgets, shares)
def test_with_equal_amounts_the_quota_is_met_exactly_when_it_is_feasible(
    pool: list[Candidate], available: Decimal, share: Decimal
) -> None:
    result = select(pool, available, GRANT_MIN, GRANT_MAX, {WOMEN: share})
    report = result.quotas[WOMEN]
    amount = min(pool[0].requested, GRANT_MAX) if pool else Decimal(1)
    slots = min(int(available // amount), len(pool))
    women = sum(1 for c in pool if "women_owned" in c.groups)
    feasible = (Fraction(min(women, slots), slots) >= Fraction(share)) if slots else share == 0
    assert len(result.proposed) == slots  # swaps never leave a place empty
    assert report.met == feasible
    groups = {c.application_id: c.groups for c in pool}
    assert report.grants == slots
    assert report.members == sum(1 for p in result.proposed if "women_owned" in groups[p.application_id])


@given(pools(), budgets, shares)
def test_an_unmet_quota_has_no_swap_left_and_a_met_one_really_is(
    pool: list[Candidate], available: Decimal, share: Decimal
) -> None:
    result = select(pool, available, GRANT_MIN, GRANT_MAX, {WOMEN: share})
    report = result.quotas[WOMEN]
    chosen = {p.application_id: p.amount for p in result.proposed}
    fixed = [c for c in pool if c.awarded is not None]
    members = sum(1 for c in pool if "women_owned" in c.groups and (c.application_id in chosen or c.awarded))
    grants = len(chosen) + len(fixed)
    assert (report.members, report.grants) == (members, grants)
    assert report.met == (Fraction(members, grants) >= Fraction(share) if grants else share == 0)
    if not report.met:
        left = available - result.total
        outsiders = [c for c in pool if c.application_id in chosen and "women_owned" not in c.groups]
        waiting = [
            c
            for c in pool
            if c.application_id not in chosen
            and c.awarded is None
            and "women_owned" in c.groups
            and min(c.requested, GRANT_MAX) >= GRANT_MIN
        ]
        for out in outsiders:
            for woman in waiting:
                assert min(woman.requested, GRANT_MAX) > left + chosen[out.application_id]


def test_the_lowest_ranked_men_make_way_for_the_best_ranked_women() -> None:
    pool = [
        candidate(1, "10000"),
        candidate(2, "10000"),
        candidate(3, "10000"),
        candidate(4, "10000"),
        candidate(5, "10000", woman=True),
        candidate(6, "10000", woman=True),
        candidate(7, "10000", woman=True),
    ]
    result = select(pool, Decimal("40000"), GRANT_MIN, GRANT_MAX, {WOMEN: Decimal("0.5")})
    assert [p.rank for p in result.proposed] == [1, 2, 5, 6]
    assert result.quotas[WOMEN].met and result.quotas[WOMEN].achieved == Decimal("0.5000")


def test_money_a_swap_frees_goes_to_the_group_before_the_fill_again() -> None:
    # Rank 1 (a man) is awarded already; swapping rank 2 for rank 3 frees 8000, which must go to
    # rank 5 (a woman) rather than to rank 4 (a man) in the fill that follows.
    pool = [
        candidate(1, "10000", awarded=Decimal("10000")),
        candidate(2, "18000"),
        candidate(3, "10000", woman=True),
        candidate(4, "8000"),
        candidate(5, "10000", woman=True),
    ]
    result = select(pool, Decimal("20000"), GRANT_MIN, GRANT_MAX, {WOMEN: Decimal("0.9")})
    assert [p.rank for p in result.proposed] == [3, 5]
    assert not result.quotas[WOMEN].met and result.quotas[WOMEN].members == 2


def test_awards_made_count_for_the_quota_and_their_money_is_gone() -> None:
    pool = [
        candidate(1, "10000", awarded=Decimal("10000"), woman=True),
        candidate(2, "10000"),
        candidate(3, "10000"),
        candidate(4, "40000", woman=True),
    ]
    result = select(pool, Decimal("20000"), GRANT_MIN, GRANT_MAX, {WOMEN: Decimal("0.3")})
    assert [(p.rank, p.amount) for p in result.proposed] == [(2, Decimal("10000")), (3, Decimal("10000"))]
    assert result.quotas[WOMEN].met  # 1 of 3 grants
    capped = select(pool[3:], Decimal("30000"), GRANT_MIN, GRANT_MAX, {})
    assert capped.proposed[0].amount == GRANT_MAX


def test_a_later_quota_never_breaks_an_earlier_one() -> None:
    pool = [candidate(1, "10000", woman=True), candidate(2, "10000", woman=True), candidate(3, "10000", idp=True)]
    quotas = {WOMEN: Decimal("1"), "idp_min_share": Decimal("0.5")}
    result = select(pool, Decimal("20000"), GRANT_MIN, GRANT_MAX, quotas)
    assert [p.rank for p in result.proposed] == [1, 2]  # swapping 2 for 3 would break the women's quota
    assert result.quotas[WOMEN].met and not result.quotas["idp_min_share"].met
    both = select([*pool, candidate(4, "10000", woman=True, idp=True)], Decimal("20000"), GRANT_MIN, GRANT_MAX, quotas)
    assert [p.rank for p in both.proposed] == [1, 4]
    assert both.quotas[WOMEN].met and both.quotas["idp_min_share"].met
    assert both.quotas["idp_min_share"].achieved == Decimal("0.5000")


TERMS = CallTerms(
    budget=Decimal("100000"),
    awarded_total=Decimal("90000"),
    grant_min=GRANT_MIN,
    grant_max=GRANT_MAX,
    currency_exponent=2,
)


def refusal(status: ApplicationStatus, decision: Decision, amount: str | None = None) -> str | None:
    try:
        decide(status, decision, Decimal(amount) if amount else None, Decimal("18000"), TERMS)
    except Refused as refused:
        return refused.reason
    return None


def test_decision_rules_and_their_reasons() -> None:
    S = ApplicationStatus
    assert refusal(S.under_review, Decision.award) == "not_scored"
    assert refusal(S.withdrawn, Decision.reject) == "withdrawn"
    assert refusal(S.awarded, Decision.reject) == "already_awarded"
    assert refusal(S.rejected, Decision.reject) == "unchanged"
    assert refusal(S.scored, Decision.reject, "100") == "amount_only_for_awards"
    assert refusal(S.scored, Decision.award) == "budget_exceeded"  # 18000 > 10000 left
    assert refusal(S.scored, Decision.award, "9000.001") == "amount_precision"
    assert refusal(S.scored, Decision.award, "19000") == "amount_above_requested"
    assert refusal(S.scored, Decision.award, "4000") == "amount_out_of_range"
    assert refusal(S.waitlisted, Decision.award, "10000") is None  # a waitlisted one is awarded later
    assert decide(S.scored, Decision.award, Decimal("10000"), Decimal("18000"), TERMS) == Decimal("10000")
    assert decide(S.scored, Decision.waitlist, None, Decimal("18000"), TERMS) is None
