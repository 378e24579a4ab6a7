"""What a bank's status file says about payments, whatever its message and version.

Every reader (pain.002, camt.054, camt.053) turns a file into a `StatusReport`: one `Entry`
per transaction it names, with the references that can match one of our instructions (our
pain.001 writes `EndToEndId` = the instruction id's 32 hex digits and `UETR` = the same id with
dashes), what the bank says happened to it, and when. Matching entries to instructions and
applying them is the handler's job; nothing here touches a database.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from enum import StrEnum

AMOUNT = re.compile(r"[0-9]{1,18}(\.[0-9]{1,5})?")


class ReportError(Exception):
    """A file that cannot be read as a status report; `code` is stable (the problem's `code`)."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


class EntryOutcome(StrEnum):
    settled = "settled"  # the money left the fund's account (pain.002 ACSC/ACCC, a booked debit)
    failed = "failed"  # it did not, or came back (pain.002 RJCT, a booked reversal or return)
    pending = "pending"  # neither yet (ACSP, PDNG, ACTC…, an entry not booked): nothing changes


@dataclass(frozen=True)
class Entry:
    references: tuple[str, ...]  # EndToEndId, InstrId, UETR … as the file has them, best first
    outcome: EntryOutcome
    status: str  # the bank's own code: ACSC, RJCT, BOOK, PDNG …
    reason: str | None = None  # a reason code (StsRsnInf/Rsn/Cd, RtrInf/Rsn/Cd) for a failure
    at: datetime | None = None  # booking or acceptance time
    bank_reference: str | None = None  # AcctSvcrRef (the bank's own reference)
    amount: Decimal | None = None
    currency: str | None = None

    def instruction_ids(self) -> list[uuid.UUID]:
        """Every reference that reads as an instruction id, in the file's order."""
        found: list[uuid.UUID] = []
        for reference in self.references:
            parsed = instruction_id(reference)
            if parsed is not None and parsed not in found:
                found.append(parsed)
        return found


@dataclass(frozen=True)
class GroupRejection:
    """A pain.002 that rejects the whole original message (or its only payment block) and
    names no transaction: every payment of that message failed."""

    status: str
    reason: str | None
    at: datetime | None


@dataclass(frozen=True)
class StatusReport:
    kind: str  # pain.002 | camt.054 | camt.053
    version: str  # e.g. camt.054.001.08
    message_id: str
    created_at: datetime | None
    entries: tuple[Entry, ...]
    original_message_id: str | None = None  # pain.002: the MsgId of the pain.001 it answers
    group_rejection: GroupRejection | None = None


def instruction_id(reference: str) -> uuid.UUID | None:
    """`EndToEndId` as our pain.001 writes it (32 hex digits) or a UUID with dashes."""
    text = reference.strip()
    if len(text) not in (32, 36):
        return None
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def amount_of(text: str | None, where: str) -> Decimal:
    """An ISO 20022 amount: digits with at most 5 decimals, 18 digits in all (no exponent, no sign)."""
    value = (text or "").strip()
    if not AMOUNT.fullmatch(value) or len(value.replace(".", "")) > 18:
        raise ReportError("invalid_value", f"{where} is not an amount")
    return Decimal(value)


def moment_of(text: str | None, where: str) -> datetime:
    """An ISODateTime (a time without offset is taken as UTC) or an ISODate (its midnight, UTC)."""
    value = (text or "").strip()
    try:
        if "T" in value:
            parsed = datetime.fromisoformat(value)
            return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
        return datetime.combine(date.fromisoformat(value), time(0), tzinfo=UTC)
    except ValueError:
        raise ReportError("invalid_value", f"{where} is not a date or date-time") from None


def first(values: Iterable[str | None]) -> str | None:
    return next((v.strip() for v in values if v and v.strip()), None)
