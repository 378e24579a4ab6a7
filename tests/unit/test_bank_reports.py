"""The bank status file readers: each of the nine versions (samples valid against the XSDs),
the statuses mapped, and files that are refused with a stable code (XML attacks included)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from services.disbursement.domain.bank_reports import EntryOutcome, ReportError, instruction_id, read_report

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "tests" / "fixtures" / "iso20022"
SCHEMA_DIRS = (SAMPLES / "xsd", REPO.parent / "shared" / "schemas" / "iso20022")
A = uuid.UUID("6f1c2a4e-0b7d-4c3e-9a51-2d8e7f9b1c01")
B = uuid.UUID("3b9d5e70-8c21-4f6a-b0e4-7a1c9d2e5f02")
C = uuid.UUID("c4e8f1a2-5d3b-4a7c-8e6f-1b2a3c4d5e03")
PAIN002 = ["pain.002.001.03", "pain.002.001.10", "pain.002.001.11"]
CAMT = [f"camt.{kind}.001.{v}" for kind in ("054", "053") for v in ("02", "04", "08")]


def sample(version: str) -> bytes:
    return (SAMPLES / f"{version}.xml").read_bytes()


def schema(version: str) -> Any:
    etree = pytest.importorskip("lxml.etree", reason="lxml validates against the XSD (a dev dependency)")
    for folder in SCHEMA_DIRS:
        if (folder / f"{version}.xsd").exists():
            return etree.XMLSchema(etree.parse(str(folder / f"{version}.xsd")))
    pytest.skip(f"no {version}.xsd in {', '.join(map(str, SCHEMA_DIRS))}")


def refused(data: bytes) -> str:
    with pytest.raises(ReportError) as caught:
        read_report(data)
    return caught.value.code


@pytest.mark.parametrize("version", PAIN002 + CAMT)
def test_every_sample_is_valid_against_its_schema(version: str) -> None:
    from lxml import etree

    checker = schema(version)
    assert checker.validate(etree.fromstring(sample(version))), checker.error_log


@pytest.mark.parametrize("version", PAIN002)
def test_pain002_maps_statuses_and_reads_references_amounts_and_times(version: str) -> None:
    report = read_report(sample(version))
    assert (report.kind, report.version) == ("pain.002", version)
    assert report.message_id == "NBI-PSR-20261129-0001"
    assert report.original_message_id == "NIN24-20261128101500-AB12"
    assert report.group_rejection is None
    settled, failed, pending, other = report.entries
    assert (settled.outcome, settled.status, settled.instruction_ids()) == (EntryOutcome.settled, "ACSC", [A])
    assert settled.at == datetime(2026, 11, 29, 9, 15, tzinfo=UTC) and settled.bank_reference == "NBI-PSR-0001"
    assert (settled.amount, settled.currency) == (Decimal("9000.00"), "USD")
    assert (failed.outcome, failed.reason, failed.instruction_ids()) == (EntryOutcome.failed, "AC04", [B])
    assert failed.at == datetime(2026, 11, 29, 9, 30, tzinfo=UTC)  # no AccptncDtTm: the report's time
    assert (pending.outcome, pending.status, pending.instruction_ids()) == (EntryOutcome.pending, "ACSP", [C])
    assert other.outcome is EntryOutcome.settled and other.instruction_ids() == []


@pytest.mark.parametrize("version", CAMT)
def test_camt_booked_debits_settle_reversals_fail_and_the_rest_waits(version: str) -> None:
    report = read_report(sample(version))
    assert report.kind == version[:8] and report.version == version
    debit, reversal, not_booked, rent = report.entries
    assert (debit.outcome, debit.instruction_ids(), debit.bank_reference) == (
        EntryOutcome.settled,
        [A],
        "NBI-000101-TX",
    )
    assert debit.at == datetime(2026, 11, 30, tzinfo=UTC) and debit.amount == Decimal("9000.00")
    assert (reversal.outcome, reversal.reason, reversal.instruction_ids()) == (EntryOutcome.failed, "AC04", [B])
    assert (not_booked.outcome, not_booked.status) == (EntryOutcome.pending, "PDNG")
    assert rent.instruction_ids() == [] and rent.amount == Decimal("250.00")


def test_the_08_status_choice_and_the_plain_02_code_read_the_same() -> None:
    assert b"<Sts><Cd>BOOK</Cd></Sts>" in sample("camt.054.001.08")
    assert b"<Sts>BOOK</Sts>" in sample("camt.054.001.02")
    assert [e.outcome for e in read_report(sample("camt.054.001.08")).entries] == [
        e.outcome for e in read_report(sample("camt.054.001.02")).entries
    ]


def test_references_are_our_hex_end_to_end_id_or_the_uuid_with_dashes() -> None:
    assert instruction_id(A.hex) == A and instruction_id(str(A)) == A and instruction_id(str(A).upper()) == A
    assert instruction_id("NOTPROVIDED") is None and instruction_id("x" * 32) is None


def group_report(status: str, transactions: str = "") -> bytes:
    return f"""<?xml version="1.0"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10"><CstmrPmtStsRpt>
<GrpHdr><MsgId>R1</MsgId><CreDtTm>2026-11-29T09:30:00Z</CreDtTm></GrpHdr>
<OrgnlGrpInfAndSts><OrgnlMsgId>M1</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId>
<GrpSts>{status}</GrpSts><StsRsnInf><Rsn><Cd>FF01</Cd></Rsn></StsRsnInf></OrgnlGrpInfAndSts>{transactions}
</CstmrPmtStsRpt></Document>""".encode()


def test_a_whole_message_rejected_without_transactions_is_a_group_rejection() -> None:
    report = read_report(group_report("RJCT"))
    assert report.entries == () and report.group_rejection is not None
    assert (report.group_rejection.status, report.group_rejection.reason) == ("RJCT", "FF01")
    assert read_report(group_report("ACSC")).group_rejection is None  # acceptance settles nothing by itself
    block = "<OrgnlPmtInfAndSts><OrgnlPmtInfId>M1</OrgnlPmtInfId><TxInfAndSts>"
    block += f"<OrgnlEndToEndId>{A.hex}</OrgnlEndToEndId></TxInfAndSts></OrgnlPmtInfAndSts>"
    inherited = read_report(group_report("RJCT", block))
    assert inherited.group_rejection is None and inherited.entries[0].outcome is EntryOutcome.failed


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08">&lol3;</Document>"""
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"><BkToCstmrDbtCdtNtfctn><GrpHdr>
<MsgId>&x;</MsgId></GrpHdr></BkToCstmrDbtCdtNtfctn></Document>"""
EXTERNAL_DTD = b"""<?xml version="1.0"?><!DOCTYPE Document SYSTEM "http://127.0.0.1:9/x.dtd">
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"/>"""


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (BILLION_LAUGHS, "xml_dtd_forbidden"),
        (XXE, "xml_dtd_forbidden"),
        (EXTERNAL_DTD, "xml_dtd_forbidden"),
        (b"", "empty_file"),
        (b"%PDF-1.7 not xml", "not_xml"),
        (b"<Document><unclosed></Document>", "not_xml"),
        (b'<?xml version="1.0" encoding="x-unknown"?><a/>', "not_xml"),
        (b"<html><body>hello</body></html>", "unknown_message"),
        (sample("pain.002.001.10").replace(b"pain.002.001.10", b"pain.001.001.09"), "unknown_message"),
        (sample("camt.054.001.08").replace(b"camt.054.001.08", b"camt.054.001.05"), "unsupported_version"),
        (sample("camt.054.001.08").replace(b"BkToCstmrDbtCdtNtfctn", b"BkToCstmrStmt"), "missing_element"),
        (sample("camt.054.001.08").replace(b"<MsgId>NBI-CAMT054-20261130-0001</MsgId>", b""), "missing_element"),
        (sample("camt.053.001.02").replace(b"<CdtDbtInd>DBIT</CdtDbtInd>", b""), "missing_element"),
        (sample("camt.053.001.02").replace(b">9000.00<", b">9e9999<"), "invalid_value"),
        (sample("camt.053.001.04").replace(b"2026-11-30</Dt>", b"30/11/2026</Dt>"), "invalid_value"),
        (
            sample("pain.002.001.03").replace(b"<OrgnlMsgId>NIN24-20261128101500-AB12</OrgnlMsgId>", b""),
            "missing_element",
        ),
    ],
)
def test_a_file_that_is_not_a_status_report_is_refused_with_a_stable_code(data: bytes, code: str) -> None:
    assert refused(data) == code
