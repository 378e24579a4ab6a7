"""Pure rules of accounts: email normalisation, the password policy, roles.

No web framework, session or NATS here. The checks raise `ValueError` so that pydantic
models can use them as validators (a 422 naming the field) and handlers can reuse them.
"""

from __future__ import annotations

import re

from shared.roles import Role

EMAIL_MAX = 254
EMAIL_LOCAL_MAX = 64
PASSWORD_MIN = 10
PASSWORD_MAX = 256
NAME_MAX = 200
PHONE_MAX = 32
LOCALE_MAX = 16
DEFAULT_LOCALE = "en"

_LOCAL = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
EMAIL_RE = re.compile(rf"^{_LOCAL}@{_LABEL}(?:\.{_LABEL})+$")
PHONE_RE = re.compile(r"^\+?[0-9][0-9 ()-]{5,30}$")
LOCALE_RE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})?$")


def normalise_email(value: str) -> str:
    """The one spelling of an address that accounts are keyed by: trimmed, lower case."""
    email = value.strip().lower()
    if len(email) > EMAIL_MAX or not EMAIL_RE.fullmatch(email) or len(email.partition("@")[0]) > EMAIL_LOCAL_MAX:
        raise ValueError("not a valid email address")
    return email


def check_password(password: str) -> str:
    """The password policy: 10 to 256 characters, not only spaces."""
    if len(password) < PASSWORD_MIN:
        raise ValueError(f"must have at least {PASSWORD_MIN} characters")
    if len(password) > PASSWORD_MAX:
        raise ValueError(f"must have at most {PASSWORD_MAX} characters")
    if not password.strip():
        raise ValueError("must not be only spaces")
    return password


def check_phone(value: str) -> str:
    phone = value.strip()
    if not PHONE_RE.fullmatch(phone):
        raise ValueError("not a valid phone number: digits, an optional leading +, spaces or dashes")
    return phone


def check_locale(value: str) -> str:
    if not LOCALE_RE.fullmatch(value):
        raise ValueError("not a language tag such as 'en' or 'ar'")
    return value


def parse_role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise ValueError(f"unknown role; choose from {', '.join(r.value for r in Role)}") from None
