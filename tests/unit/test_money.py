from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from shared.money import Money, exponent_of, fits_exponent


class Amount(BaseModel):
    value: Money


def test_money_is_parsed_from_strings_and_ints_and_written_as_a_string() -> None:
    assert Amount(value="12500.00").model_dump(mode="json") == {"value": "12500.00"}
    assert Amount.model_validate({"value": 7}).value == Decimal(7)


@pytest.mark.parametrize("bad", [12.5, True, "12,5", "NaN", "Infinity", None, [1]])
def test_money_refuses_floats_and_non_numbers(bad: object) -> None:
    with pytest.raises(ValidationError):
        Amount.model_validate({"value": bad})


def test_currency_exponents_follow_iso_4217_unless_the_call_says_otherwise() -> None:
    assert exponent_of("USD") == 2
    assert exponent_of("IQD") == 3
    assert exponent_of("IQD", 0) == 0


@given(st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False))
def test_two_place_amounts_fit_usd_and_not_whole_iqd(amount: Decimal) -> None:
    assert fits_exponent(amount, 2)
    assert fits_exponent(amount, 0) == (amount == amount.to_integral_value())
