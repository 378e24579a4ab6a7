"""What every app accepts and answers at its HTTP edge, beyond each field's own rules (fuzzing, #7).

- `Input`: the base of request bodies: unknown fields are refused (`extra="forbid"`), and so is
  a NUL character in any text, at any depth (PostgreSQL cannot store it in text or JSON, and no
  field of this API has a use for it): a 422 naming the field, never a 500 from the database.
- `RowId`: an integer id in a path, within an INTEGER column (32 bits; a larger one is a 422,
  not an overflow in the driver or the database).
- `Utc`: a moment in an answer, always with its offset (SQLite hands stored times back naive;
  they are UTC), as the `date-time` format of the OpenAPI document requires.
- `NoControl`: text that reaches an XML export (a call's title, a payee's name and account, …):
  a C0 control character other than tab, line feed and carriage return is refused (XML 1.0
  cannot hold it), a 422 naming the field. `xml_text` is the writers' own guard besides: what
  XML 1.0 cannot hold becomes U+FFFD, so that no export is ever invalid.

No web framework here: event models (`shared.events`) use the same rule.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from annotated_types import Ge, Le
from pydantic import AfterValidator, BaseModel, ConfigDict, field_validator

MAX_ROW_ID = 2**31 - 1
NUL = "\x00"
NUL_MESSAGE = "must not contain NUL characters"

RowId = Annotated[int, Ge(1), Le(MAX_ROW_ID)]
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
CONTROL_MESSAGE = "must not contain control characters (tab, line feed and carriage return are allowed)"
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")  # outside XML 1.0's Char


def refuse_control_characters(value: str) -> str:
    if CONTROL.search(value):
        raise ValueError(CONTROL_MESSAGE)
    return value


NoControl = AfterValidator(refuse_control_characters)


def xml_text(value: str) -> str:
    """`value` with every character XML 1.0 cannot hold replaced by U+FFFD."""
    return NOT_XML.sub("\ufffd", value)


def as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


Utc = Annotated[datetime, AfterValidator(as_utc)]


def has_nul(value: Any) -> bool:
    """True when a string anywhere in `value` (keys too) holds a NUL character; a nested model
    is left to its own validation."""
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(has_nul(key) or has_nul(item) for key, item in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return any(has_nul(item) for item in value)
    return False


def refuse_nul(value: Any) -> Any:
    """A validator: the value, unless it holds a NUL character."""
    if has_nul(value):
        raise ValueError(NUL_MESSAGE)
    return value


class Input(BaseModel):
    """Base of every request body model."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*")
    @classmethod
    def no_nul_characters(cls, value: Any) -> Any:
        return refuse_nul(value)
