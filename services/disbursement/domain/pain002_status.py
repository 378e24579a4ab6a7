"""pain.002 (customer payment status report), versions 001.03, 001.10 and 001.11.

Each `TxInfAndSts` is an entry, matched by `OrgnlEndToEndId`, `OrgnlInstrId` or `OrgnlUETR`.
A transaction without its own `TxSts` has the status of its payment block (`PmtInfSts`), else
of the group (`GrpSts`). ACSC and ACCC are settled; RJCT failed (the reason is the first
`StsRsnInf/Rsn/Cd`, or its `Prtry`); any other status (ACTC, ACCP, ACSP, ACWC, PDNG, RCVD, PART…)
is pending and changes nothing.

A rejection of the whole message (`GrpSts` RJCT) or of a payment block (`PmtInfSts` RJCT)
that names no transaction rejects every payment of the original pain.001: our files carry
one payment block per message, so both mean "the bank refused the file". A group-level
acceptance without transactions settles nothing (it is pending): a settlement needs each
payment named.
"""

from __future__ import annotations

from datetime import datetime
from xml.etree.ElementTree import Element

from services.disbursement.domain.bank_report_detect import Message
from services.disbursement.domain.bank_report_entries import (
    Entry,
    EntryOutcome,
    GroupRejection,
    ReportError,
    StatusReport,
    amount_of,
    first,
    moment_of,
)

SETTLED = frozenset({"ACSC", "ACCC"})
FAILED = frozenset({"RJCT"})


def outcome_of(status: str) -> EntryOutcome:
    if status in SETTLED:
        return EntryOutcome.settled
    return EntryOutcome.failed if status in FAILED else EntryOutcome.pending


def _reason(message: Message, parent: Element) -> str | None:
    for info in parent.iterfind(message.q("StsRsnInf")):
        code = first([info.findtext(message.q("Rsn/Cd")), info.findtext(message.q("Rsn/Prtry"))])
        if code:
            return code[:35]
    return None


def read(message: Message) -> StatusReport:
    body = message.body
    message_id = first([body.findtext(message.q("GrpHdr/MsgId"))])
    if message_id is None:
        raise ReportError("missing_element", f"{message.version}: GrpHdr/MsgId is missing")
    created = body.findtext(message.q("GrpHdr/CreDtTm"))
    created_at = moment_of(created, "GrpHdr/CreDtTm") if created else None
    group = body.find(message.q("OrgnlGrpInfAndSts"))
    if group is None or not first([group.findtext(message.q("OrgnlMsgId"))]):
        raise ReportError("missing_element", f"{message.version}: OrgnlGrpInfAndSts/OrgnlMsgId is missing")
    group_status = first([group.findtext(message.q("GrpSts"))])
    entries: list[Entry] = []
    rejection: GroupRejection | None = None
    for block in body.iterfind(message.q("OrgnlPmtInfAndSts")):
        block_status = first([block.findtext(message.q("PmtInfSts"))]) or group_status
        transactions = block.findall(message.q("TxInfAndSts"))
        if not transactions and block_status in FAILED and rejection is None:
            rejection = GroupRejection(block_status, _reason(message, block) or _reason(message, group), created_at)
        for transaction in transactions:
            entries.append(_entry(message, transaction, block_status, created_at))
    if not entries and rejection is None and group_status in FAILED:
        rejection = GroupRejection(group_status, _reason(message, group), created_at)
    return StatusReport(
        kind=message.kind,
        version=message.version,
        message_id=message_id,
        created_at=created_at,
        entries=tuple(entries),
        original_message_id=first([group.findtext(message.q("OrgnlMsgId"))]),
        group_rejection=rejection,
    )


def _entry(message: Message, transaction: Element, inherited: str | None, created_at: datetime | None) -> Entry:
    status = first([transaction.findtext(message.q("TxSts"))]) or inherited
    if status is None:
        raise ReportError("missing_element", f"{message.version}: a TxInfAndSts has no TxSts (nor its group)")
    references = tuple(
        text.strip()
        for text in (
            transaction.findtext(message.q("OrgnlEndToEndId")),
            transaction.findtext(message.q("OrgnlUETR")),
            transaction.findtext(message.q("OrgnlInstrId")),
        )
        if text and text.strip()
    )
    accepted = transaction.findtext(message.q("AccptncDtTm"))
    amount = transaction.find(message.q("OrgnlTxRef/Amt/InstdAmt"))
    return Entry(
        references=references,
        outcome=outcome_of(status),
        status=status,
        reason=(_reason(message, transaction) or status) if status in FAILED else None,
        at=moment_of(accepted, "AccptncDtTm") if accepted else created_at,
        bank_reference=first(
            [transaction.findtext(message.q("AcctSvcrRef")), transaction.findtext(message.q("StsId"))]
        ),
        amount=amount_of(amount.text, "OrgnlTxRef/Amt/InstdAmt") if amount is not None else None,
        currency=amount.get("Ccy") if amount is not None else None,
    )
