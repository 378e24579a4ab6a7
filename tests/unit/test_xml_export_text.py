"""No text can make an export invalid XML (#15): each C0 control character XML 1.0 cannot hold,
put in a call's title and a payee's name as if it had got past the API (which refuses them),
still gives a pain.001 file valid against the ISO 20022 XSD and an IATI file valid against the
IATI 2.03 XSD, the character written as U+FFFD."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from services.disbursement.domain.pain001 import CreditTransfer, credit_transfer_file
from services.monitoring.handlers.exports.iati import activities_file
from services.monitoring.handlers.exports.rows import GrantFacts, Payment, Publisher
from services.monitoring.models import Call
from shared.fields import xml_text
from tests.support.monitoring import IATI_XSD
from tests.unit.test_disbursement_pain001 import DEBTOR, pain001_schema

# Every C0 character but tab, line feed and carriage return (which XML 1.0 holds).
CONTROLS = [chr(code) for code in range(0x20) if chr(code) not in "\t\n\r"]
PUBLISHER = Publisher(name="Test Development Fund", org_ref="XM-DAC-99-TEST", org_type="10", grant_id_prefix="360G-T")


def iati_schema() -> Any:
    etree = pytest.importorskip("lxml.etree", reason="lxml validates the IATI XSD (a dev dependency)")
    if not IATI_XSD.exists():
        pytest.skip(f"the IATI 2.03 schema is not at {IATI_XSD} (a copy of shared/ beside the repository)")
    return etree.XMLSchema(etree.parse(str(IATI_XSD)))


def valid(schema: Any, document: bytes) -> Any:
    etree = pytest.importorskip("lxml.etree")
    parsed = etree.fromstring(document)  # a control character would already fail here
    assert schema.validate(parsed), schema.error_log
    return parsed


def payments_file(account_holder: str) -> bytes:
    transfer = CreditTransfer(
        uuid.uuid4(),
        Decimal("9000.00"),
        account_holder,
        f"EDF grant EDF-NIN24-000001{account_holder[5]}, tranche 1",
        iban="IQ98NBIQ850123456789012",
        bank_name=f"Rafidain{account_holder[5]}",
    )
    return credit_transfer_file(
        message_id="NIN24-20261128101500-AB12",
        created_at=datetime.now(UTC),
        execution_date=date.today(),
        currency="USD",
        exponent=2,
        debtor=DEBTOR,
        transfers=[transfer],
    )


def iati_file(title: str) -> bytes:
    call = Call(
        id=uuid.uuid4(),
        code="NIN24",
        status="open",
        currency="USD",
        title={"en": title, "ar": title},
        governorates=["IQ-NI"],
        tranche_milestones=["agreement_signed"],
        monitoring_schedule_days=[],
    )
    grant = GrantFacts(
        id=uuid.uuid4(),
        application_id=uuid.uuid4(),
        reference="EDF-NIN24-000001",
        status="active",
        sector="agriculture",
        governorate="IQ-NI",
        currency="USD",
        amount=Decimal("18000.00"),
        created_on=date(2026, 3, 1),
        decided_on=date(2026, 2, 20),
        jobs_planned=3,
        payments=[Payment(uuid.uuid4(), 1, "agreement_signed", Decimal("9000.00"), date(2026, 3, 5))],
    )
    return activities_file(PUBLISHER, call, [grant], datetime.now(UTC))


def test_each_control_character_in_a_payee_name_still_gives_a_valid_pain001_file() -> None:
    schema = pain001_schema()
    for control in CONTROLS:
        parsed = valid(schema, payments_file(f"Layla{control}Hassan"))
        names = [e.text for e in parsed.iter() if e.tag.endswith("}Nm")]
        assert "Layla\ufffdHassan" in names, repr(control)


def test_each_control_character_in_a_call_title_still_gives_a_valid_iati_file() -> None:
    schema = iati_schema()
    for control in CONTROLS:
        parsed = valid(schema, iati_file(f"Small{control}grants"))
        titles = [n.text for n in parsed.iter("narrative") if n.getparent().tag == "title"]
        assert titles and all(t.startswith("Small\ufffdgrants: ") for t in titles), repr(control)


def test_xml_text_keeps_what_xml_holds_and_replaces_the_rest() -> None:
    assert xml_text("tab\there\nline\r and Arabic منحة, € ✓") == "tab\there\nline\r and Arabic منحة, € ✓"
    assert xml_text("a\x00b\x1fc\ud800d\ufffe") == "a\ufffdb\ufffdc\ufffdd\ufffd"
