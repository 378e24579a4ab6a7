"""Reading the bank's ISO 20022 status files: pain.002, camt.054 and camt.053 (pure, no I/O).

`read_report(data)` parses the bytes safely (`safe_xml`: no DTD, so no entity expansion or
external entities), recognises the message and version by its namespace (`detect`) and reads
it (`pain002`, `camt`) into a `StatusReport`; anything else raises `ReportError` with a
stable `code`. Files are checked for the structure we read, not validated against the XSD:
banks send files that are not always schema-valid, and what we need is checked here.
"""

from __future__ import annotations

from services.disbursement.domain.bank_reports import camt, pain002
from services.disbursement.domain.bank_reports.detect import detect
from services.disbursement.domain.bank_reports.entries import (
    Entry,
    EntryOutcome,
    GroupRejection,
    ReportError,
    StatusReport,
    instruction_id,
)
from services.disbursement.domain.bank_reports.safe_xml import parse

__all__ = [
    "Entry",
    "EntryOutcome",
    "GroupRejection",
    "ReportError",
    "StatusReport",
    "instruction_id",
    "read_report",
]


def read_report(data: bytes) -> StatusReport:
    message = detect(parse(data))
    return pain002.read(message) if message.kind == "pain.002" else camt.read(message)
