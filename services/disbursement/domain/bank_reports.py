"""Reading the bank's ISO 20022 status files: pain.002, camt.054 and camt.053 (pure, no I/O).

`read_report(data)` parses the bytes safely (`bank_report_xml`: no DTD, so no entity expansion or
external entities), recognises the message and version by its namespace (`bank_report_detect`) and reads
it (`pain002_status`, `camt_entries`) into a `StatusReport`; anything else raises `ReportError` with a
stable `code`. Files are checked for the structure we read, not validated against the XSD:
banks send files that are not always schema-valid, and what we need is checked here.
"""

from __future__ import annotations

from services.disbursement.domain import camt_entries, pain002_status
from services.disbursement.domain.bank_report_detect import detect
from services.disbursement.domain.bank_report_entries import (
    Entry,
    EntryOutcome,
    GroupRejection,
    ReportError,
    StatusReport,
    instruction_id,
)
from services.disbursement.domain.bank_report_xml import parse

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
    return pain002_status.read(message) if message.kind == "pain.002" else camt_entries.read(message)
