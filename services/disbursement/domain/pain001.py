"""ISO 20022 `pain.001.001.09` (customer credit transfer initiation) for a bank, built with the
standard library: one payment information block (the fund's account, the call's currency) with
one credit transfer per payment instruction.

`EndToEndId` is the instruction id (its 32 hex digits: the element holds at most 35 characters)
and `UETR` the same id in its usual form, so that the bank's statement and the finance system's
report match an instruction exactly. Only bank payments go in the file: wallets are paid by
their mobile money provider through the event integration. Every text and attribute goes
through `xml_text`: the API refuses control characters in names and accounts, and a value that
came in some other way still cannot make the file invalid XML.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from xml.etree import ElementTree as ET

from shared.fields import xml_text

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"


@dataclass(frozen=True)
class Debtor:
    name: str
    iban: str
    bic: str


@dataclass(frozen=True)
class CreditTransfer:
    instruction_id: uuid.UUID
    amount: Decimal
    account_holder: str
    remittance_info: str
    iban: str | None = None
    account_number: str | None = None
    bic: str | None = None
    bank_name: str | None = None


def _add(parent: ET.Element, path: str, text: str | None = None, **attributes: str) -> ET.Element:
    """Adds `A/B/C` below `parent` (each step a new element) and sets the last one's text."""
    element = parent
    for tag in path.split("/"):
        element = ET.SubElement(element, tag)
    element.attrib.update({name: xml_text(value) for name, value in attributes.items()})
    if text is not None:
        element.text = xml_text(text)
    return element


def _amount(value: Decimal, exponent: int) -> str:
    return str(value.quantize(Decimal(1).scaleb(-exponent)))


def credit_transfer_file(
    *,
    message_id: str,
    created_at: datetime,
    execution_date: date,
    currency: str,
    exponent: int,
    debtor: Debtor,
    transfers: Sequence[CreditTransfer],
) -> bytes:
    if not transfers:
        raise ValueError("a pain.001 file holds at least one credit transfer")
    total = _amount(sum((t.amount for t in transfers), Decimal(0)), exponent)
    count = str(len(transfers))
    root = ET.Element("Document", xmlns=NAMESPACE)  # every element in the message's namespace
    initiation = _add(root, "CstmrCdtTrfInitn")
    header = _add(initiation, "GrpHdr")
    _add(header, "MsgId", message_id[:35])
    _add(header, "CreDtTm", created_at.replace(microsecond=0).isoformat())
    _add(header, "NbOfTxs", count)
    _add(header, "CtrlSum", total)
    _add(header, "InitgPty/Nm", debtor.name[:140])
    block = _add(initiation, "PmtInf")
    _add(block, "PmtInfId", message_id[:35])
    _add(block, "PmtMtd", "TRF")
    _add(block, "NbOfTxs", count)
    _add(block, "CtrlSum", total)
    _add(block, "ReqdExctnDt/Dt", execution_date.isoformat())
    _add(block, "Dbtr/Nm", debtor.name[:140])
    _add(block, "DbtrAcct/Id/IBAN", debtor.iban)
    _add(block, "DbtrAgt/FinInstnId/BICFI", debtor.bic)
    for transfer in transfers:
        _transfer(block, transfer, currency, exponent)
    ET.indent(root)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode").encode() + b"\n"


def _transfer(block: ET.Element, transfer: CreditTransfer, currency: str, exponent: int) -> None:
    item = _add(block, "CdtTrfTxInf")
    ids = _add(item, "PmtId")
    _add(ids, "EndToEndId", transfer.instruction_id.hex)
    if transfer.instruction_id.version == 4:
        _add(ids, "UETR", str(transfer.instruction_id))
    _add(item, "Amt/InstdAmt", _amount(transfer.amount, exponent), Ccy=currency)
    if transfer.bic:
        _add(item, "CdtrAgt/FinInstnId/BICFI", transfer.bic)
    elif transfer.bank_name:
        _add(item, "CdtrAgt/FinInstnId/Nm", transfer.bank_name[:140])
    _add(item, "Cdtr/Nm", transfer.account_holder[:140])
    account = _add(item, "CdtrAcct/Id")
    if transfer.iban:
        _add(account, "IBAN", transfer.iban)
    else:
        assert transfer.account_number is not None
        _add(account, "Othr/Id", transfer.account_number[:34])
    _add(item, "RmtInf/Ustrd", transfer.remittance_info[:140])
