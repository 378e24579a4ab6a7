"""Tranche splits: the amounts sum exactly to the award in the currency's minor units, for any
plan and any amount (USD with 2 decimal places, IQD with 0 as in practice and 3 by ISO 4217)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.disbursement.domain.split import CannotSplit, grant_id_for, split_award, tranche_id_for


@st.composite
def plans(draw: st.DrawFn) -> list[Decimal]:
    """Percents with up to 4 decimal places, each > 0, summing to exactly 100."""
    count = draw(st.integers(1, 20))
    cuts = sorted(draw(st.sets(st.integers(1, 999_999), min_size=count - 1, max_size=count - 1)))
    bounds = [0, *cuts, 1_000_000]
    return [Decimal(b - a).scaleb(-4) for a, b in pairwise(bounds)]


CURRENCIES = st.sampled_from([("USD", 2), ("IQD", 0), ("IQD", 3)])


@given(plan=plans(), currency=CURRENCIES, minor_units=st.integers(1, 10**15))
def test_the_tranches_sum_exactly_to_the_award(
    plan: list[Decimal], currency: tuple[str, int], minor_units: int
) -> None:
    _, exponent = currency
    unit = Decimal(1).scaleb(-exponent)
    amount = Decimal(minor_units).scaleb(-exponent)
    try:
        shares = split_award(amount, exponent, plan)
    except CannotSplit:
        # Only when some tranche would be less than one minor unit.
        assert any((amount * p / 100) < unit for p in plan[:-1]) or amount * plan[-1] / 100 < unit
        return
    assert sum(shares) == amount
    assert len(shares) == len(plan)
    assert all(share >= unit and share == share.quantize(unit) for share in shares)
    # The rule: each tranche but the last is its share rounded down; the last takes the rest.
    exact = [amount * p / 100 for p in plan]
    for share, precise in zip(shares[:-1], exact[:-1], strict=True):
        assert precise - unit < share <= precise
    assert shares[-1] >= exact[-1]
    assert shares[-1] - exact[-1] < unit * len(plan)


@given(plan=plans(), minor_units=st.integers(10_000, 10**12))
def test_usd_and_iqd_awards_of_realistic_size_always_split(plan: list[Decimal], minor_units: int) -> None:
    for exponent in (0, 2):
        amount = Decimal(minor_units).scaleb(-exponent)
        if all(amount * p / 100 >= 1 for p in plan):  # a dinar / a dollar per tranche at least
            assert sum(split_award(amount, exponent, plan)) == amount


def test_the_contracts_example_plan() -> None:
    plan = [Decimal(50), Decimal(30), Decimal(20)]
    assert split_award(Decimal("18000.00"), 2, plan) == [Decimal("9000.00"), Decimal("5400.00"), Decimal("3600.00")]
    assert split_award(Decimal("100.01"), 2, plan) == [Decimal("50.00"), Decimal("30.00"), Decimal("20.01")]
    assert split_award(Decimal("1000001"), 0, [Decimal("33.3333")] * 2 + [Decimal("33.3334")]) == [
        Decimal(333333),
        Decimal(333333),
        Decimal(333335),
    ]


@pytest.mark.parametrize(
    ("amount", "exponent", "plan"),
    [
        (Decimal("0.01"), 2, [Decimal(50), Decimal(50)]),  # less than a cent per tranche
        (Decimal("10.001"), 2, [Decimal(100)]),  # more decimals than the currency has
        (Decimal("0"), 2, [Decimal(100)]),
        (Decimal("100"), 0, [Decimal(50), Decimal(40)]),  # percents that do not sum to 100
    ],
)
def test_what_cannot_be_split_is_refused(amount: Decimal, exponent: int, plan: list[Decimal]) -> None:
    with pytest.raises(CannotSplit):
        split_award(amount, exponent, plan)


def test_grant_and_tranche_ids_are_derived_so_a_rebuild_gives_the_same_ids() -> None:
    application = uuid.uuid4()
    assert grant_id_for(application) == grant_id_for(application) != grant_id_for(uuid.uuid4())
    grant = grant_id_for(application)
    assert tranche_id_for(grant, 1) != tranche_id_for(grant, 2)
