"""A monitoring service in-process, fed the events it consumes through its own inbox consumers
(the same code path as a delivery from JetStream), and helpers for grants in monitoring."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from shared.auth import Role
from shared.events.applications import (
    ApplicationDecidedV1,
    ApplicationScoredV1,
    ApplicationScreenedV1,
    ApplicationSubmittedV1,
    ApplicationWithdrawnV1,
    BusinessFacts,
    OwnerFacts,
    PlanFacts,
)
from shared.events.calls import CallOpenedV1, CallSpec
from shared.events.disbursement import GrantCompletedV1, GrantCreatedV1, TrancheFacts, TranchePaidV1
from shared.events.envelope import CloudEvent, EventData, make_event
from shared.events.scoring import ApplicationAssignedV1
from shared.inbox import InboxConsumer
from tests.support.apps import REPO, bearer, running_app
from tests.support.samples import call_body

OPENED = "edf.applications.call.opened.v1"
SUBMITTED = "edf.applications.application.submitted.v1"
CREATED = "edf.disbursement.grant.created.v1"
PAID = "edf.disbursement.tranche.paid.v1"
COMPLETED = "edf.disbursement.grant.completed.v1"
SCREENED = "edf.applications.application.screened.v1"
WITHDRAWN = "edf.applications.application.withdrawn.v1"
ASSIGNED = "edf.scoring.application.assigned.v1"
SCORED = "edf.scoring.application.scored.v1"
DECIDED = "edf.scoring.application.decided.v1"
MILESTONES = ("agreement_signed", "assets_purchased", "jobs_filled")
SPLIT = (Decimal("0.5"), Decimal("0.3"), Decimal("0.2"))


def event(subject: str, aggregate: object, data: EventData) -> CloudEvent:
    assert subject == data.subject, f"{type(data).__name__} is {data.subject}, not {subject}"
    return make_event(source="/edf/tests", subject=str(aggregate), data=data)


@dataclass
class MonitoredGrant:
    id: uuid.UUID
    call_id: uuid.UUID
    application_id: uuid.UUID
    applicant_id: uuid.UUID
    tranches: list[TrancheFacts]


@dataclass
class Monitoring:
    app: FastAPI
    client: TestClient | httpx.Client
    database_url: str

    def deliver_event(self, cloud_event: CloudEvent) -> bool:
        consumers: list[InboxConsumer] = self.app.state.runtime.consumers
        applier = next(c.applier for c in consumers if cloud_event.type in c.applier.subscriptions)
        parsed, payload = applier.parse(cloud_event.type, cloud_event.model_dump_json().encode())
        return applier.apply(parsed, payload)

    def deliver(self, subject: str, aggregate: object, data: EventData) -> bool:
        return self.deliver_event(event(subject, aggregate, data))

    def open_call(self, **overrides: Any) -> uuid.UUID:
        call_id = uuid.uuid4()
        spec = CallSpec.model_validate(call_body(**overrides))
        self.deliver(OPENED, call_id, CallOpenedV1(**spec.model_dump(), call_id=call_id, opened_at=datetime.now(UTC)))
        return call_id

    def submitted_event(
        self,
        call_id: uuid.UUID,
        application_id: uuid.UUID | None = None,
        *,
        applicant_id: uuid.UUID | None = None,
        governorate: str = "IQ-NI",
        owner_sex: str = "female",
        displacement: str = "returnee",
        female: int = 2,
        male: int = 2,
        sector: str = "agriculture",
    ) -> CloudEvent:
        application_id = application_id or uuid.uuid4()
        return event(
            SUBMITTED,
            application_id,
            ApplicationSubmittedV1(
                application_id=application_id,
                reference=reference_of(application_id),
                call_id=call_id,
                submitted_at=datetime.now(UTC),
                currency="USD",
                applicant_id=applicant_id,
                business=BusinessFacts(
                    sector=sector,
                    governorate=governorate,
                    district="Mosul",
                    founded_year=2016,
                    employees_female=2,
                    employees_male=5,
                ),
                owner=OwnerFacts(sex=owner_sex, birth_year=1988, displacement_status=displacement),
                plan=PlanFacts(
                    summary="Two new jobs.",
                    jobs_planned_female=female,
                    jobs_planned_male=male,
                    requested_amount=Decimal("18000.00"),
                    co_contribution=Decimal("3000.00"),
                    budget_lines=[],
                ),
            ),
        )

    def submit(
        self, call_id: uuid.UUID, *, applicant_id: uuid.UUID | None = None, **facts: Any
    ) -> tuple[uuid.UUID, uuid.UUID]:
        application_id, applicant_id = uuid.uuid4(), applicant_id or uuid.uuid4()
        self.deliver_event(self.submitted_event(call_id, application_id, applicant_id=applicant_id, **facts))
        return application_id, applicant_id

    def status_event(
        self, call_id: uuid.UUID, application_id: uuid.UUID, status: str, decided_at: datetime | None = None
    ) -> CloudEvent:
        """The event that tells monitoring an application reached `status`."""
        ids = {"application_id": application_id, "call_id": call_id}
        now = datetime.now(UTC)
        if status in ("eligible", "ineligible"):
            return event(
                SCREENED,
                application_id,
                ApplicationScreenedV1(
                    **ids,
                    eligible=status == "eligible",
                    reasons=[] if status == "eligible" else ["too_small"],
                    screened_at=now,
                ),
            )
        if status == "withdrawn":
            return event(WITHDRAWN, application_id, ApplicationWithdrawnV1(**ids, withdrawn_at=now))
        if status == "under_review":
            return event(
                ASSIGNED, application_id, ApplicationAssignedV1(**ids, reviewers=2, required=2, assigned_at=now)
            )
        if status == "scored":
            return event(
                SCORED,
                application_id,
                ApplicationScoredV1(
                    **ids, score=Decimal("7.50"), criteria={"jobs": Decimal("3")}, reviewers=2, diverged=False
                ),
            )
        return event(
            DECIDED,
            application_id,
            ApplicationDecidedV1(
                **ids,
                decision=status,
                amount=Decimal("18000.00") if status == "awarded" else None,
                currency="USD",
                decided_at=decided_at or now,
            ),
        )

    def move(self, call_id: uuid.UUID, application_id: uuid.UUID, *statuses: str) -> None:
        for status in statuses:
            self.deliver_event(self.status_event(call_id, application_id, status))

    def application_status(self, application_id: uuid.UUID) -> str:
        sqlite = self.database_url.startswith("sqlite")
        return str(
            self.scalar(
                "SELECT status FROM applications WHERE id = :id", id=application_id.hex if sqlite else application_id
            )
        )

    def created_event(
        self,
        call_id: uuid.UUID,
        application_id: uuid.UUID,
        amount: str = "18000.00",
        created_at: datetime | None = None,
        grant_id: uuid.UUID | None = None,
    ) -> CloudEvent:
        grant_id = grant_id or uuid.uuid4()
        total = Decimal(amount)
        tranches = [
            TrancheFacts(
                tranche_id=uuid.uuid4(), seq=seq, amount=(total * share).quantize(Decimal("0.01")), milestone=milestone
            )
            for seq, (milestone, share) in enumerate(zip(MILESTONES, SPLIT, strict=True), start=1)
        ]
        return event(
            CREATED,
            grant_id,
            GrantCreatedV1(
                grant_id=grant_id,
                application_id=application_id,
                call_id=call_id,
                amount=total,
                currency="USD",
                tranches=tranches,
                created_at=created_at or datetime.now(UTC),
            ),
        )

    def grant(
        self,
        call_id: uuid.UUID | None = None,
        *,
        amount: str = "18000.00",
        created_at: datetime | None = None,
        **submit: Any,
    ) -> MonitoredGrant:
        call_id = call_id or self.open_call()
        application_id, applicant_id = self.submit(call_id, **submit)
        return self.grant_for(call_id, application_id, applicant_id, amount=amount, created_at=created_at)

    def grant_for(
        self,
        call_id: uuid.UUID,
        application_id: uuid.UUID,
        applicant_id: uuid.UUID | None = None,
        *,
        amount: str = "18000.00",
        created_at: datetime | None = None,
    ) -> MonitoredGrant:
        """A grant (`grant.created`) for an application delivered already."""
        created = self.created_event(call_id, application_id, amount, created_at)
        assert self.deliver_event(created)
        data = GrantCreatedV1.model_validate(created.data)
        return MonitoredGrant(
            id=data.grant_id,
            call_id=call_id,
            application_id=application_id,
            applicant_id=applicant_id or uuid.UUID(int=0),
            tranches=data.tranches,
        )

    def pay(self, grant: MonitoredGrant, seq: int, paid_on: date) -> CloudEvent:
        tranche = grant.tranches[seq - 1]
        paid = event(
            PAID,
            tranche.tranche_id,
            TranchePaidV1(
                tranche_id=tranche.tranche_id,
                grant_id=grant.id,
                amount=tranche.amount,
                currency="USD",
                paid_at=datetime(paid_on.year, paid_on.month, paid_on.day, 10, tzinfo=UTC),
            ),
        )
        self.deliver_event(paid)
        return paid

    def complete(self, grant: MonitoredGrant) -> None:
        self.deliver(COMPLETED, grant.id, GrantCompletedV1(grant_id=grant.id))

    def visit(self, grant_id: object, headers: dict[str, str] | None = None, **body: Any) -> httpx.Response:
        payload = {
            "visited_on": datetime.now(UTC).date().isoformat(),
            "kind": "verification",
            "findings": "All well.",
            **body,
        }
        return self.client.post(
            f"/api/v1/grants/{grant_id}/visits",
            json=payload,
            headers=bearer(Role.monitor) if headers is None else headers,
        )

    def monitoring(self, grant_id: object, headers: dict[str, str] | None = None) -> dict[str, Any]:
        response = self.client.get(
            f"/api/v1/grants/{grant_id}/monitoring", headers=bearer(Role.officer) if headers is None else headers
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    def outbox(self, subject: str) -> list[dict[str, Any]]:
        rows = self.sql("SELECT payload FROM outbox WHERE subject = :s ORDER BY seq", s=subject)
        return [json.loads(r[0])["data"] for r in rows]

    def sql(self, query: str, **params: object) -> list[Any]:
        engine = create_engine(self.database_url)
        try:
            with engine.connect() as connection:
                return list(connection.execute(text(query), params).all())
        finally:
            engine.dispose()

    def execute(self, statement: str, **params: object) -> None:
        """A change behind the service's back (uuids as the backend stores them)."""
        engine = create_engine(self.database_url)
        sqlite = engine.dialect.name == "sqlite"
        values = {k: (v.hex if sqlite and isinstance(v, uuid.UUID) else v) for k, v in params.items()}
        try:
            with engine.begin() as connection:
                connection.execute(text(statement), values)
        finally:
            engine.dispose()

    def scalar(self, query: str, **params: object) -> Any:
        return self.sql(query, **params)[0][0]


def reference_of(application_id: uuid.UUID) -> str:
    return f"EDF-T-{application_id.hex[:8].upper()}"


def days_ago(days: int) -> date:
    return datetime.now(UTC).date() - timedelta(days=days)


def job(
    sex: str = "female", displacement: str = "idp", still_employed: bool = True, job_id: object | None = None
) -> dict[str, Any]:
    found = {
        "sex": sex,
        "age_group": "25-34",
        "displacement_status": displacement,
        "start_date": "2026-01-15",
        "still_employed": still_employed,
    }
    return found | ({"job_id": str(job_id)} if job_id is not None else {})


@contextmanager
def monitoring_service(database_url: str, nats_url: str, **settings: Any) -> Iterator[Monitoring]:
    with running_app("monitoring", database_url, nats_url, **settings) as client:
        yield Monitoring(app=client.app, client=client, database_url=database_url)  # type: ignore[arg-type]


SCHEMAS = REPO.parent / "shared" / "schemas"
IATI_XSD = SCHEMAS / "iati-2.03" / "iati-activities-schema.xsd"
GIVING_PACKAGE = SCHEMAS / "360giving" / "360-giving-package-schema.json"
GIVING_GRANT = SCHEMAS / "360giving" / "360-giving-schema.json"


def validate_iati(document: bytes) -> Any:
    """The parsed document after validating it against the official IATI 2.03 activity XSD, or a
    skip that says where the schema was looked for."""
    etree = pytest.importorskip("lxml.etree", reason="lxml validates the IATI XSD (a dev dependency)")
    if not IATI_XSD.exists():
        pytest.skip(f"the IATI 2.03 schema is not at {IATI_XSD} (a copy of shared/ beside the repository)")
    schema = etree.XMLSchema(etree.parse(str(IATI_XSD)))
    parsed = etree.fromstring(document)
    assert schema.validate(parsed), schema.error_log
    return parsed


def validate_360giving(document: dict[str, Any]) -> None:
    """Validates against the official 360Giving package schema, its grant schema registered under
    the URL the package refers to (no network), with format checks on (dates and date-times)."""
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema validates 360Giving (a dev dependency)")
    pytest.importorskip("rfc3339_validator", reason="the date-time format check of 360Giving's dates needs it")
    from referencing import Registry
    from referencing.jsonschema import DRAFT202012

    if not GIVING_PACKAGE.exists() or not GIVING_GRANT.exists():
        pytest.skip(
            f"the 360Giving schemas are not in {GIVING_PACKAGE.parent} (a copy of shared/ beside the repository)"
        )
    package = json.loads(GIVING_PACKAGE.read_text())
    # Created as draft 2020-12 outright: the files say `http://json-schema.org/draft/2020-12/schema`.
    grant = DRAFT202012.create_resource(json.loads(GIVING_GRANT.read_text()))
    referred = package["properties"]["grants"]["items"]["$ref"]
    registry: Registry[Any] = Registry().with_resources([(referred, grant), (grant.id() or referred, grant)])
    validator_class = jsonschema.Draft202012Validator
    validator = validator_class(package, registry=registry, format_checker=validator_class.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])
