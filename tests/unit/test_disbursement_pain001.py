"""The pain.001.001.09 file validates against the official XSD (from ../shared/schemas/)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from services.disbursement.domain.pain001 import NAMESPACE, CreditTransfer, Debtor, credit_transfer_file

REPO = Path(__file__).resolve().parents[2]
XSD = REPO.parent / "shared" / "schemas" / "iso20022" / "pain.001.001.09.xsd"
DEBTOR = Debtor(name="Enterprise Development Fund", iban="IQ98NBIQ850123456789012", bic="NBIQIQBA")


def pain001_schema() -> Any:
    """The official XSD, or a skip that says where it was looked for."""
    etree = pytest.importorskip("lxml.etree", reason="lxml validates the XSD (a dev dependency)")
    if not XSD.exists():
        pytest.skip(f"the ISO 20022 schema is not at {XSD} (a copy of shared/ beside the repository)")
    return etree.XMLSchema(etree.parse(str(XSD)))


def validate(document: bytes) -> Any:
    from lxml import etree

    schema = pain001_schema()
    parsed = etree.fromstring(document)
    assert schema.validate(parsed), schema.error_log
    return parsed


def test_a_file_with_iban_and_account_number_payees_is_valid_with_its_sums() -> None:
    ids = [uuid.uuid4(), uuid.uuid4()]
    document = credit_transfer_file(
        message_id="NIN24-20261128101500-AB12",
        created_at=datetime.now(UTC),
        execution_date=date.today(),
        currency="USD",
        exponent=2,
        debtor=DEBTOR,
        transfers=[
            CreditTransfer(
                ids[0],
                Decimal("9000.00"),
                "Layla Hassan",
                "EDF grant EDF-NIN24-000001, tranche 1",
                iban="IQ98NBIQ850123456789012",
            ),
            CreditTransfer(
                ids[1],
                Decimal("5400.5"),
                "Omar Saleh " * 20,
                "EDF grant EDF-NIN24-000002",
                account_number="0012345678",
                bank_name="Rafidain Bank",
                bic="RAFBIQBA",
            ),
        ],
    )
    root = validate(document)
    ns = {"p": NAMESPACE}
    assert root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:NbOfTxs", namespaces=ns) == "2"
    assert root.findtext("p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum", namespaces=ns) == "14400.50"
    end_to_end = root.findall(".//p:EndToEndId", namespaces=ns)
    assert [e.text for e in end_to_end] == [i.hex for i in ids]
    assert [e.text for e in root.findall(".//p:UETR", namespaces=ns)] == [str(i) for i in ids]


def test_iqd_without_decimals_is_valid() -> None:
    document = credit_transfer_file(
        message_id="M1",
        created_at=datetime.now(UTC),
        execution_date=date.today(),
        currency="IQD",
        exponent=0,
        debtor=DEBTOR,
        transfers=[
            CreditTransfer(
                uuid.uuid4(), Decimal(12_500_000), "Layla Hassan", "EDF grant", iban="IQ98NBIQ850123456789012"
            )
        ],
    )
    validate(document)
    assert b'<InstdAmt Ccy="IQD">12500000</InstdAmt>' in document


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(ValueError):
        credit_transfer_file(
            message_id="M1",
            created_at=datetime.now(UTC),
            execution_date=date.today(),
            currency="USD",
            exponent=2,
            debtor=DEBTOR,
            transfers=[],
        )
