"""A call's grants as CSV with an HXL hashtag row."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator

import pytest

from services.monitoring.handlers.exports import COLUMNS
from shared.auth import Role
from tests.support.apps import bearer
from tests.support.monitoring import Monitoring, days_ago, job, monitoring_service
from tests.support.natsd import NatsServer


@pytest.fixture
def service(database_url: str, own_nats: NatsServer) -> Iterator[Monitoring]:
    with monitoring_service(database_url, own_nats.url) as running:
        yield running


def test_the_csv_has_an_hxl_row_and_one_row_per_grant(service: Monitoring) -> None:
    call_id = service.open_call(code="CSV" + uuid.uuid4().hex[:6].upper())
    grant = service.grant(call_id, amount="18000.00", governorate="IQ-NI", female=2, male=1)
    service.pay(grant, 1, days_ago(400))
    first = service.visit(grant.id, visited_on=days_ago(390).isoformat(),
                          jobs=[job("female", "idp"), job("male", "host")]).json()
    service.visit(grant.id, kind="follow_up", visited_on=days_ago(20).isoformat(),
                  jobs=[job(job_id=first["jobs"][0]["id"]), job(job_id=first["jobs"][1]["id"], still_employed=False)])
    unpaid = service.grant(call_id, amount="10000.00", governorate="IQ-AN", female=0, male=1)

    response = service.client.get(f"/api/v1/calls/{call_id}/export.csv", headers=bearer(Role.monitor))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == [name for name, _ in COLUMNS]
    assert all(tag.startswith("#") for tag in rows[1])
    by_grant = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[2:]}
    assert len(by_grant) == 2
    paid = by_grant[str(grant.id)]
    assert (paid["governorate"], paid["awarded"], paid["disbursed"], paid["first_payment_on"]) == (
        "IQ-NI", "18000.00", "9000.00", days_ago(400).isoformat())
    assert (paid["jobs_planned"], paid["jobs_verified"], paid["jobs_retained_6m"], paid["jobs_retained_12m"]) == (
        "3", "2", "1", "1")
    other = by_grant[str(unpaid.id)]
    assert (other["disbursed"], other["first_payment_on"], other["jobs_verified"], other["jobs_retained_6m"]) == (
        "0.00", "", "0", "0")
    assert "applicant" not in response.text and str(grant.applicant_id) not in response.text

    assert service.client.get(f"/api/v1/calls/{call_id}/export.csv",
                              headers=bearer(Role.applicant)).status_code == 403
    assert service.client.get(f"/api/v1/calls/{uuid.uuid4()}/export.csv",
                              headers=bearer(Role.officer)).status_code == 404
