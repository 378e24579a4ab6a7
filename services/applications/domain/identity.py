"""Normalising what people type (phones, ids, registration numbers) and keyed hashes of them."""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata

import phonenumbers

_SEPARATORS = re.compile(r"[\s\-_./\\]+")


def ascii_digits(text: str) -> str:
    """Arabic-Indic (٠١٢…) and Eastern Arabic-Indic (۰۱۲…) digits to 0-9."""
    return "".join(str(unicodedata.digit(c)) if c.isdigit() and not c.isascii() else c for c in text)


def normalise_phone(raw: str) -> str:
    """An Iraqi mobile number as people type it, in E.164; ValueError when it is not one."""
    text = ascii_digits(raw).strip()
    try:
        number = phonenumbers.parse(text, "IQ")
    except phonenumbers.NumberParseException:
        raise ValueError("not a phone number: use e.g. 0770 123 4567 or +964 770 123 4567") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid phone number: use e.g. 0770 123 4567 or +964 770 123 4567")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_identifier(raw: str) -> str:
    """National ids and registration numbers: digits made ASCII, separators dropped, upper case."""
    return _SEPARATORS.sub("", ascii_digits(raw)).upper()


def keyed_hash(key: bytes, purpose: str, value: str) -> str:
    """HMAC-SHA256 so that equal values can be matched without being stored or guessable."""
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()
