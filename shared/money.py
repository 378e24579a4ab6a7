"""Money as Decimal with the currency's exponent; strings in JSON, never float."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

# ISO 4217 minor units. IQD is 3 by the standard and 0 in practice: a call may override it.
CURRENCY_EXPONENTS: dict[str, int] = {"USD": 2, "EUR": 2, "GBP": 2, "IQD": 3}


def _parse_decimal(value: Any) -> Decimal:
    if isinstance(value, (bool, float)):
        raise ValueError('money must be a decimal string such as "12500.00", not a float')
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, (int, str)):
        try:
            result = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValueError("not a decimal number") from None
    else:
        raise ValueError("money must be a decimal string")
    if not result.is_finite():
        raise ValueError("not a finite number")
    return result


Money = Annotated[
    Decimal,
    BeforeValidator(_parse_decimal),
    PlainSerializer(lambda d: str(d), return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": r"^-?\d+(\.\d+)?$", "examples": ["12500.00"]}),
]


def exponent_of(currency: str, override: int | None = None) -> int:
    if override is not None:
        return override
    return CURRENCY_EXPONENTS.get(currency, 2)


def fits_exponent(amount: Decimal, exponent: int) -> bool:
    """True when `amount` has no more decimal places than the currency allows."""
    return amount == amount.quantize(Decimal(1).scaleb(-exponent), rounding=ROUND_DOWN)


def quantize(amount: Decimal, exponent: int) -> Decimal:
    return amount.quantize(Decimal(1).scaleb(-exponent))
