"""camt.053 (statement) and camt.054 (debit/credit notification), versions 001.02, 001.04
and 001.08: the same entries (`Ntry`) in a `Stmt` or an `Ntfctn`.

Each transaction of an entry (`NtryDtls/TxDtls`) is an entry of ours, matched by
`Refs/EndToEndId` (else `Refs/UETR`, `Refs/InstrId`); an entry without transaction details
is one unmatched entry. The entry's status is a plain code in .02/.04 (`<Sts>BOOK</Sts>`)
and a choice in .08 (`<Sts><Cd>BOOK</Cd></Sts>`). Only booked entries (BOOK) decide:
- a debit (`CdtDbtInd` DBIT) is settled, at its booking date (`BookgDt`), with the bank's
  reference (`AcctSvcrRef` of the transaction, else of the entry);
- a credit that reverses a debit (`RvslInd` true: ISO 20022 books the reversal of a debit as
  a credit) or returns one (`RtrInf`) is failed, with the return reason code if any;
- anything else (a credit, a reversed credit) and every entry not booked (PDNG, INFO…) is pending.
The transaction's amount is its own (`Amt` from .04 on, else `AmtDtls/TxAmt` or
`AmtDtls/InstdAmt`), or the entry's when the entry has one transaction only.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from xml.etree.ElementTree import Element

from services.disbursement.domain.bank_report_detect import Message
from services.disbursement.domain.bank_report_entries import (
    Entry,
    EntryOutcome,
    ReportError,
    StatusReport,
    amount_of,
    first,
    moment_of,
)

CONTAINERS = {"camt.053": "Stmt", "camt.054": "Ntfctn"}


def read(message: Message) -> StatusReport:
    body = message.body
    message_id = first([body.findtext(message.q("GrpHdr/MsgId"))])
    if message_id is None:
        raise ReportError("missing_element", f"{message.version}: GrpHdr/MsgId is missing")
    created = body.findtext(message.q("GrpHdr/CreDtTm"))
    containers = body.findall(message.q(CONTAINERS[message.kind]))
    if not containers:
        raise ReportError("missing_element", f"{message.version}: no {CONTAINERS[message.kind]} in the file")
    entries: list[Entry] = []
    for container in containers:
        for entry in container.iterfind(message.q("Ntry")):
            entries.extend(_entries(message, entry))
    return StatusReport(
        kind=message.kind,
        version=message.version,
        message_id=message_id,
        created_at=moment_of(created, "GrpHdr/CreDtTm") if created else None,
        entries=tuple(entries),
    )


def _status(message: Message, entry: Element) -> str:
    status = entry.find(message.q("Sts"))
    code = None
    if status is not None:
        code = first([status.text, status.findtext(message.q("Cd")), status.findtext(message.q("Prtry"))])
    if code is None:
        raise ReportError("missing_element", f"{message.version}: an entry (Ntry) has no Sts")
    return code


def _entries(message: Message, entry: Element) -> list[Entry]:
    amount_element = entry.find(message.q("Amt"))
    if amount_element is None:
        raise ReportError("missing_element", f"{message.version}: an entry (Ntry) has no Amt")
    amount = amount_of(amount_element.text, "Ntry/Amt")
    currency = amount_element.get("Ccy")
    direction = first([entry.findtext(message.q("CdtDbtInd"))])
    if direction not in ("CRDT", "DBIT"):
        raise ReportError("missing_element", f"{message.version}: an entry (Ntry) has no CdtDbtInd CRDT or DBIT")
    status = _status(message, entry)
    reversal = (entry.findtext(message.q("RvslInd")) or "").strip().lower() in ("true", "1")
    booked = first([entry.findtext(message.q("BookgDt/DtTm")), entry.findtext(message.q("BookgDt/Dt"))])
    at: datetime | None = moment_of(booked, "Ntry/BookgDt") if booked else None
    entry_reference = first([entry.findtext(message.q("AcctSvcrRef"))])
    transactions = [
        tx for details in entry.iterfind(message.q("NtryDtls")) for tx in details.iterfind(message.q("TxDtls"))
    ]
    if not transactions:
        return [
            Entry(references=(), outcome=EntryOutcome.pending, status=status, at=at, amount=amount, currency=currency)
        ]
    found = []
    for transaction in transactions:
        own = _amount(message, transaction)
        if own is None and len(transactions) == 1:
            own = (amount, currency)
        returned = transaction.find(message.q("RtrInf"))
        outcome, reason = EntryOutcome.pending, None
        if status == "BOOK":
            if direction == "CRDT" and (reversal or returned is not None):
                outcome = EntryOutcome.failed
                code = None
                if returned is not None:
                    code = first([returned.findtext(message.q("Rsn/Cd")), returned.findtext(message.q("Rsn/Prtry"))])
                reason = code[:35] if code else ("reversed" if reversal else "returned")
            elif direction == "DBIT" and not reversal:
                outcome = EntryOutcome.settled
        found.append(
            Entry(
                references=tuple(
                    text.strip()
                    for text in (
                        transaction.findtext(message.q("Refs/EndToEndId")),
                        transaction.findtext(message.q("Refs/UETR")),
                        transaction.findtext(message.q("Refs/InstrId")),
                    )
                    if text and text.strip()
                ),
                outcome=outcome,
                status=status,
                reason=reason,
                at=at,
                bank_reference=first([transaction.findtext(message.q("Refs/AcctSvcrRef")), entry_reference]),
                amount=own[0] if own else None,
                currency=own[1] if own else None,
            )
        )
    return found


def _amount(message: Message, transaction: Element) -> tuple[Decimal, str | None] | None:
    for path in ("Amt", "AmtDtls/TxAmt/Amt", "AmtDtls/InstdAmt/Amt"):
        element = transaction.find(message.q(path))
        if element is not None:
            return amount_of(element.text, f"TxDtls/{path}"), element.get("Ccy")
    return None
