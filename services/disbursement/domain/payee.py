"""Payout details: where a grantee is paid, checked before they are kept, masked when shown.

A bank account is an IBAN (checked: country, length, check digits) or an account number with
the bank's name or BIC; a mobile money wallet is a phone number (kept in E.164). Account
numbers, IBANs and wallet phones are shown as their last 4 characters to everyone but finance.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import phonenumbers
from schwifty import BIC, IBAN

BANK_FIELDS = ("iban", "account_number", "bank_name", "bic")
WALLET_FIELDS = ("wallet_phone", "wallet_provider")
MASKED_FIELDS = ("iban", "account_number", "wallet_phone")
_SEPARATORS = re.compile(r"[\s\-_./]+")


def _ascii_digits(text: str) -> str:
    return "".join(str(unicodedata.digit(c)) if c.isdigit() and not c.isascii() else c for c in text)


def _printable(text: str) -> str:
    """NFC, without control or format characters (none belongs in a bank file, and bidi overrides
    can disguise a name), except the zero-width (non-)joiners some scripts need."""
    return "".join(
        c for c in unicodedata.normalize("NFC", text) if unicodedata.category(c)[0] != "C" or c in "\u200c\u200d"
    ).strip()


def _compact(text: str) -> str:
    return _SEPARATORS.sub("", _ascii_digits(text)).upper()


def normalise_payee(given: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(the details as kept, every problem at once with its location)."""
    problems: list[dict[str, Any]] = []
    given = {name: _printable(value) if isinstance(value, str) else value for name, value in given.items()}
    kept: dict[str, Any] = {"method": given["method"], "account_holder": given["account_holder"]}
    if not kept["account_holder"]:
        problems.append({"loc": ["body", "account_holder"], "msg": "must be the account holder's name"})

    def fail(name: str, msg: str) -> None:
        problems.append({"loc": ["body", name], "msg": msg})

    present = {name for name, value in given.items() if value not in (None, "")}
    if given["method"] == "bank":
        for name in sorted(present & set(WALLET_FIELDS)):
            fail(name, "not for a bank account")
        if given.get("iban"):
            try:
                kept["iban"] = IBAN(_compact(given["iban"])).compact
            except ValueError as exc:  # schwifty's errors are ValueErrors
                fail("iban", f"not a valid IBAN ({exc})")
        if given.get("account_number"):
            number = _compact(given["account_number"])
            if not (4 <= len(number) <= 34 and number.isalnum()):
                fail("account_number", "must be 4 to 34 letters or digits")
            kept["account_number"] = number
        if given.get("bic"):
            try:
                kept["bic"] = BIC(_compact(given["bic"])).compact
            except ValueError as exc:
                fail("bic", f"not a valid BIC ({exc})")
        if given.get("bank_name"):
            kept["bank_name"] = given["bank_name"]
        if not present & {"iban", "account_number"}:
            fail("iban", "give an IBAN or an account number")
        elif "iban" not in present and not present & {"bank_name", "bic"}:
            fail("bank_name", "an account number needs the bank's name or BIC")
    else:
        for name in sorted(present & set(BANK_FIELDS)):
            fail(name, "not for a mobile money wallet")
        if not given.get("wallet_phone"):
            fail("wallet_phone", "a mobile money wallet needs its phone number")
        else:
            try:
                kept["wallet_phone"] = normalise_phone(given["wallet_phone"])
            except ValueError as exc:
                fail("wallet_phone", str(exc))
        if given.get("wallet_provider"):
            kept["wallet_provider"] = given["wallet_provider"]
    return kept, problems


def normalise_phone(raw: str) -> str:
    try:
        number = phonenumbers.parse(_ascii_digits(raw).strip(), "IQ")
    except phonenumbers.NumberParseException:
        raise ValueError("not a phone number: use e.g. 0770 123 4567 or +964 770 123 4567") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid phone number: use e.g. 0770 123 4567 or +964 770 123 4567")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask(value: str | None) -> str | None:
    """`IQ98NBIQ850123456789012` -> `****9012`."""
    if value is None:
        return None
    return "****" + value[-4:]


def masked(details: dict[str, Any]) -> dict[str, Any]:
    return {name: mask(value) if name in MASKED_FIELDS else value for name, value in details.items()}
