"""A call's grants as CSV with an HXL hashtag row, as IATI 2.03 activities and as a 360Giving
package, the last two validated against the official schemas (../shared/schemas/)."""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from services.monitoring.handlers.exports.csv_hxl import COLUMNS
from shared.auth import Role
from tests.support.apps import bearer
from tests.support.monitoring import (
    MonitoredGrant,
    Monitoring,
    days_ago,
    job,
    monitoring_service,
    reference_of,
    validate_360giving,
    validate_iati,
)
from tests.support.natsd import NatsServer

ORG = "XM-DAC-99-TEST"
PREFIX = "360G-EDFTEST"


@pytest.fixture
def service(database_url: str, own_nats: NatsServer) -> Iterator[Monitoring]:
    with monitoring_service(
        database_url,
        own_nats.url,
        publisher_org_ref=ORG,
        grant_id_prefix=PREFIX,
        publisher_name="Test Development Fund",
    ) as running:
        yield running


def two_grants(service: Monitoring) -> tuple[uuid.UUID, MonitoredGrant, MonitoredGrant]:
    """G1 (Ninawa, agriculture) with tranches 1 and 2 paid; G2 (Anbar, trade) unpaid, completed."""
    call_id = service.open_call(code="EXP" + uuid.uuid4().hex[:6].upper())
    paid = service.grant(call_id, amount="18000.00", governorate="IQ-NI", female=2, male=1)
    service.pay(paid, 1, days_ago(40))
    service.pay(paid, 2, days_ago(10))
    unpaid = service.grant(call_id, amount="10000.50", governorate="IQ-AN", sector="trade", female=0, male=1)
    service.complete(unpaid)
    return call_id, paid, unpaid


def export(service: Monitoring, call_id: object, name: str, role: Role = Role.committee) -> Any:
    return service.client.get(f"/api/v1/calls/{call_id}/{name}", headers=bearer(role))


def test_the_csv_has_an_hxl_row_and_one_row_per_grant(service: Monitoring) -> None:
    call_id = service.open_call(code="CSV" + uuid.uuid4().hex[:6].upper())
    grant = service.grant(call_id, amount="18000.00", governorate="IQ-NI", female=2, male=1)
    service.pay(grant, 1, days_ago(400))
    first = service.visit(
        grant.id, visited_on=days_ago(390).isoformat(), jobs=[job("female", "idp"), job("male", "host")]
    ).json()
    service.visit(
        grant.id,
        kind="follow_up",
        visited_on=days_ago(20).isoformat(),
        jobs=[job(job_id=first["jobs"][0]["id"]), job(job_id=first["jobs"][1]["id"], still_employed=False)],
    )
    unpaid = service.grant(call_id, amount="10000.00", governorate="IQ-AN", female=0, male=1)
    # Paid 100 days ago: its 6-month cutoff is still ahead, whatever the other grants' cutoffs.
    recent = service.grant(call_id, amount="10000.00", governorate="IQ-AN", female=1, male=0)
    service.pay(recent, 1, days_ago(100))
    assert (
        service.visit(
            recent.id, kind="follow_up", visited_on=days_ago(50).isoformat(), jobs=[job("female", "idp")]
        ).status_code
        == 201
    )

    response = service.client.get(f"/api/v1/calls/{call_id}/export.csv", headers=bearer(Role.monitor))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == [name for name, _ in COLUMNS]
    assert all(tag.startswith("#") for tag in rows[1])
    by_grant = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[2:]}
    assert len(by_grant) == 3
    paid = by_grant[str(grant.id)]
    assert (paid["governorate"], paid["awarded"], paid["disbursed"], paid["first_payment_on"]) == (
        "IQ-NI",
        "18000.00",
        "9000.00",
        days_ago(400).isoformat(),
    )
    assert (paid["jobs_planned"], paid["jobs_verified"], paid["jobs_retained_6m"], paid["jobs_retained_12m"]) == (
        "3",
        "2",
        "1",
        "1",
    )
    other = by_grant[str(unpaid.id)]
    assert (other["disbursed"], other["first_payment_on"], other["jobs_verified"], other["jobs_retained_6m"]) == (
        "0.00",
        "",
        "0",
        "0",
    )
    assert (by_grant[str(recent.id)]["jobs_verified"], by_grant[str(recent.id)]["jobs_retained_6m"]) == ("1", "0")
    assert "applicant" not in response.text and str(grant.applicant_id) not in response.text

    assert service.client.get(f"/api/v1/calls/{call_id}/export.csv", headers=bearer(Role.applicant)).status_code == 403
    assert (
        service.client.get(f"/api/v1/calls/{uuid.uuid4()}/export.csv", headers=bearer(Role.officer)).status_code == 404
    )


def test_iati_activities_validate_one_per_grant_with_commitment_and_disbursements(service: Monitoring) -> None:
    call_id, paid, unpaid = two_grants(service)
    response = export(service, call_id, "export.iati.xml")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    assert response.headers["cache-control"] == "private, no-store"
    assert response.headers["content-disposition"].endswith('-iati.xml"')
    root = validate_iati(response.content)
    assert root.get("version") == "2.03"
    activities = {a.findtext("iati-identifier"): a for a in root.findall("iati-activity")}
    assert set(activities) == {f"{ORG}-{paid.id}", f"{ORG}-{unpaid.id}"}

    first = activities[f"{ORG}-{paid.id}"]
    assert first.get("default-currency") == "USD"
    assert first.find("reporting-org").get("ref") == ORG
    lang = "{http://www.w3.org/XML/1998/namespace}lang"
    titles = {n.get(lang): n.text for n in first.findall("title/narrative")}
    assert titles == {
        "en": f"Ninawa small business grants: grant {reference_of(paid.application_id)}",
        "ar": f"منح المشاريع الصغيرة في نينوى: منحة {reference_of(paid.application_id)}",
    }
    grantee = [o for o in first.findall("participating-org") if o.get("role") == "4"]
    assert [o.findtext("narrative") for o in grantee] == [reference_of(paid.application_id)]
    assert first.find("activity-status").get("code") == "2"
    assert first.find("recipient-country").get("code") == "IQ"
    assert first.find("location").get("ref") == "IQ-NI"
    assert {n.text for n in first.findall("location/name/narrative")} == {"Ninawa", "نينوى"}
    assert [(s.get("vocabulary"), s.get("code")) for s in first.findall("sector")] == [
        ("1", "31120"),
        ("99", "agriculture"),
    ]
    transactions = [
        (
            t.find("transaction-type").get("code"),
            t.find("transaction-date").get("iso-date"),
            t.findtext("value"),
            t.find("value").get("currency"),
            t.find("value").get("value-date"),
        )
        for t in first.findall("transaction")
    ]
    assert transactions == [
        ("2", transactions[0][1], "18000.00", "USD", transactions[0][1]),
        ("3", days_ago(40).isoformat(), "9000.00", "USD", days_ago(40).isoformat()),
        ("3", days_ago(10).isoformat(), "5400.00", "USD", days_ago(10).isoformat()),
    ]
    assert [t.get("ref") for t in first.findall("transaction")][1:] == [str(t.tranche_id) for t in paid.tranches[:2]]

    second = activities[f"{ORG}-{unpaid.id}"]
    assert second.find("activity-status").get("code") == "3"  # completed: finalisation
    assert [(s.get("vocabulary"), s.get("code")) for s in second.findall("sector")] == [("1", "16020"), ("99", "trade")]
    assert [t.findtext("value") for t in second.findall("transaction")] == ["10000.50"]
    assert "Mosul" not in response.text and str(paid.applicant_id) not in response.text  # no district, no account


def test_the_360giving_package_validates_with_recipients_by_reference(service: Monitoring) -> None:
    call_id, paid, unpaid = two_grants(service)
    response = export(service, call_id, "export.360giving.json", Role.officer)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "private, no-store"
    document = json.loads(response.content)
    validate_360giving(document)
    grants = {g["id"]: g for g in document["grants"]}
    assert set(grants) == {f"{PREFIX}-{paid.id}", f"{PREFIX}-{unpaid.id}"}
    first = grants[f"{PREFIX}-{paid.id}"]
    reference = reference_of(paid.application_id)
    assert (first["currency"], first["amountAwarded"], first["amountDisbursed"]) == ("USD", 18000, 14400)
    assert first["recipientOrganization"] == [{"id": f"{PREFIX}-APP-{reference}", "name": reference}]
    assert first["fundingOrganization"] == [{"id": ORG, "name": "Test Development Fund"}]
    assert first["beneficiaryLocation"] == [{"name": "Ninawa", "countryCode": "IQ", "geoCode": "IQ-NI"}]
    assert first["grantProgramme"][0]["title"] == "Ninawa small business grants"
    assert [(t["transactionDate"], t["value"]) for t in first["disbursementTransaction"]] == [
        (days_ago(40).isoformat(), 9000),
        (days_ago(10).isoformat(), 5400),
    ]
    second = grants[f"{PREFIX}-{unpaid.id}"]
    assert (second["amountAwarded"], second["amountDisbursed"]) == (10000.5, 0)
    assert "disbursementTransaction" not in second
    assert {c["code"] for c in second["classifications"]} == {"16020", "trade"}
    assert "Mosul" not in response.text and str(paid.applicant_id) not in response.text


def test_exports_of_an_unknown_or_empty_call_and_who_may_read_them(service: Monitoring) -> None:
    empty = service.open_call()
    for name in ("export.iati.xml", "export.360giving.json"):
        missing = export(service, uuid.uuid4(), name)
        assert missing.status_code == 404
        assert missing.headers["content-type"].startswith("application/problem+json")
        nothing = export(service, empty, name)  # both standards need at least one grant
        assert nothing.status_code == 409
        assert nothing.headers["content-type"].startswith("application/problem+json")
        assert export(service, empty, name, Role.applicant).status_code == 403
    assert export(service, empty, "export.csv").status_code == 200  # a CSV may be empty
