"""Money as Decimal with the currency's exponent; strings in JSON, never float.

`Money` is the one type of every amount (and of the other decimal fields: percents, weights,
shares, scores) in request bodies, answers and events. In JSON it is a plain decimal string
(`"12500.00"`, as the contract says; a JSON integer is accepted as well, as it always was):
ASCII digits without leading zeros, an optional minus, at most 14 digits before the point (the NUMERIC(18, 4) column
every amount is stored in) and 8 after it (the finest any decimal field is kept: scores, on
NUMERIC(12, 8)). Exponent notation (`"1E+30"`), `NaN`, `Infinity`, a negative
zero, a float, other digits than 0-9 and numbers too long for the column are refused: a 422
naming the field, never a 500 further down. Whether an amount has no more decimals than its
currency has is checked where the currency is known (`fits_exponent`): the call's own amounts
in its rules, an application's plan when a draft is saved, a decision's amount when it is made.
"""

from __future__ import annotations

import re
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

# ISO 4217 minor units. IQD is 3 by the standard and 0 in practice: a call may override it.
CURRENCY_EXPONENTS: dict[str, int] = {"USD": 2, "EUR": 2, "GBP": 2, "IQD": 3}
INTEGER_DIGITS = 14  # NUMERIC(18, 4): shared.tables.MONEY
FRACTION_DIGITS = 8  # scores are kept to 8 places; an amount to its currency's exponent (at most 4)


def _money_pattern() -> str:
    """The one rule of the validator and of the OpenAPI and event schemas, without lookarounds
    (outside consumers' regex engines, RE2 among them, do not all have them): zero, a number
    from 1 (either sign), or a negative one below 1 whose decimals are not all zeros; a few
    leading zeros are allowed (what a person types into a form), never more than the digits a
    column holds."""
    decimals = rf"(\.[0-9]{{1,{FRACTION_DIGITS}}})?"
    below_one = "|".join(
        "0" * zeros + "[1-9]" + (f"[0-9]{{0,{rest}}}" if (rest := FRACTION_DIGITS - 1 - zeros) else "")
        for zeros in range(FRACTION_DIGITS)
    )
    zeros = f"0{{0,{INTEGER_DIGITS}}}"  # leading zeros as a form may send them ("0500"); not unbounded
    return rf"^({zeros}0{decimals}|-?{zeros}[1-9][0-9]{{0,{INTEGER_DIGITS - 1}}}{decimals}|-{zeros}0\.({below_one}))$"


MONEY_PATTERN = _money_pattern()
_MONEY = re.compile(MONEY_PATTERN)
MONEY_MESSAGE = (
    f'must be a decimal string such as "12500.00": digits 0-9, at most {INTEGER_DIGITS} '
    f"before the point and {FRACTION_DIGITS} after it, no exponent, not negative zero"
)


def _parse_decimal(value: Any) -> Decimal:
    if isinstance(value, Decimal):  # from code, not from a client: only a finite number is refused
        if not value.is_finite():
            raise ValueError("not a finite number")
        return value
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError('money must be a decimal string such as "12500.00", not a float')
    text = str(value)
    if _MONEY.fullmatch(text) is None:  # `$` would let a final newline through
        raise ValueError(MONEY_MESSAGE)
    return Decimal(text)


def as_text(amount: Decimal) -> str:
    """Positional notation always (`str` writes `0E-8` or `1E+1`), and never `-0`."""
    return format(amount.copy_abs() if amount.is_zero() else amount, "f")


Money = Annotated[
    Decimal,
    BeforeValidator(_parse_decimal),
    PlainSerializer(as_text, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": MONEY_PATTERN, "examples": ["12500.00"]}),
]


def exponent_of(currency: str, override: int | None = None) -> int:
    if override is not None:
        return override
    return CURRENCY_EXPONENTS.get(currency, 2)


def fits_exponent(amount: Decimal, exponent: int) -> bool:
    """True when `amount` has no more decimal places than the currency allows (false for a
    number no amount can be, e.g. one stored before `Money` refused it)."""
    try:
        return amount == amount.quantize(Decimal(1).scaleb(-exponent), rounding=ROUND_DOWN)
    except InvalidOperation:
        return False


def quantize(amount: Decimal, exponent: int) -> Decimal:
    return amount.quantize(Decimal(1).scaleb(-exponent))
