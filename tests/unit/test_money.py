from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from shared.money import FRACTION_DIGITS, MONEY_PATTERN, Money, exponent_of, fits_exponent


class Amount(BaseModel):
    value: Money


def test_money_is_parsed_from_strings_and_ints_and_written_as_a_string() -> None:
    assert Amount(value="12500.00").model_dump(mode="json") == {"value": "12500.00"}
    assert Amount(value="0500").model_dump(mode="json") == {"value": "500"}  # as typed into a form
    assert Amount(value="00.50").value == Decimal("0.50")
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


# Issue #15: what no money field may accept (each a 422 at the edge, never a 500 further down).
REFUSED = [
    "1E+30",
    "1e3",
    "1.5E2",
    "NaN",
    "nan",
    "Infinity",
    "-Infinity",
    "inf",
    "-0",
    "-0.00",
    "-000.0",
    "1" * 1000,
    "0." + "1" * 1000,
    "1" * 15,
    "1.123456789",
    "١٢",  # Arabic-Indic digits: Decimal reads them, the contract says 0-9
    " 12.50",
    "12.50\n",
    "+12",
    "12.",
    ".5",
    "1_000",
    "",
    10**14,
    -(10**14),
]


@pytest.mark.parametrize("bad", REFUSED, ids=[repr(b)[:24] for b in REFUSED])
def test_money_refuses_exponents_specials_negative_zero_and_numbers_too_long(bad: object) -> None:
    with pytest.raises(ValidationError) as refused:
        Amount.model_validate({"value": bad})
    assert refused.value.errors()[0]["loc"] == ("value",)
    assert str(bad)[:20] not in refused.value.errors()[0]["msg"] or bad == ""  # the input is not echoed


def test_money_keeps_what_valid_clients_send() -> None:
    for text in ("0", "0.00", "12500", "12500.00", "-3.5", "99999999999999.9999", "0.12345678", "0.5"):
        assert Amount(value=text).model_dump(mode="json") == {"value": text}
    assert Amount.model_validate({"value": -7}).value == Decimal(-7)


def test_money_is_always_written_positionally_and_never_as_negative_zero() -> None:
    assert Amount(value=Decimal("0E-8")).model_dump(mode="json") == {"value": "0.00000000"}
    assert Amount(value=Decimal("1E+3")).model_dump(mode="json") == {"value": "1000"}
    assert Amount(value=Decimal("-0.00")).model_dump(mode="json") == {"value": "0.00"}


def test_the_schema_pattern_is_the_validator() -> None:
    schema = Amount.model_json_schema()["properties"]["value"]
    assert schema["type"] == "string" and schema["pattern"] == MONEY_PATTERN


@given(st.from_regex(MONEY_PATTERN, fullmatch=True))
def test_every_string_the_schema_allows_is_accepted_and_written_back_unchanged(text: str) -> None:
    """Unchanged but for leading zeros, which go (a form may send "0500")."""
    assert Amount(value=text).model_dump(mode="json") == {"value": format(Decimal(text), "f")}
    if not text.lstrip("-").startswith("0") or text.lstrip("-").startswith("0."):
        assert Amount(value=text).model_dump(mode="json") == {"value": text}


@given(
    st.decimals(
        min_value=-(10**14) + 1, max_value=10**14 - 1, places=FRACTION_DIGITS, allow_nan=False, allow_infinity=False
    )
)
def test_every_amount_written_is_read_back_equal(amount: Decimal) -> None:
    written = Amount(value=amount).model_dump(mode="json")["value"]
    assert Amount(value=written).value == amount


@given(st.text(alphabet="0123456789eE+-.", min_size=1, max_size=20).filter(lambda t: "e" in t.lower()))
def test_no_exponent_notation_is_ever_accepted(text: str) -> None:
    with pytest.raises(ValidationError):
        Amount(value=text)


def test_an_amount_no_currency_can_hold_fits_no_exponent_instead_of_raising() -> None:
    assert not fits_exponent(Decimal("1E+30"), 2)
    assert not fits_exponent(Decimal("1" * 40), 0)
