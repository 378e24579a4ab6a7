"""A scoring service in-process, fed the events it consumes through its own inbox consumers
(the same code path as a delivery from JetStream, without waiting for one)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from shared.auth import Role
from shared.events.applications import (
    ApplicationScreenedV1,
    ApplicationSubmittedV1,
    ApplicationWithdrawnV1,
    BudgetLineFacts,
    BusinessFacts,
    OwnerFacts,
    PlanFacts,
)
from shared.events.calls import CallOpenedV1, CallSpec
from shared.events.envelope import EventData, make_event
from shared.events.users import UserCreatedV1
from shared.inbox import InboxConsumer
from tests.support.apps import bearer, running_app
from tests.support.samples import call_body

SUBMITTED = "edf.applications.application.submitted.v1"
SCREENED = "edf.applications.application.screened.v1"
WITHDRAWN = "edf.applications.application.withdrawn.v1"
OPENED = "edf.applications.call.opened.v1"
USER_CREATED = "edf.gateway.user.created.v1"
COMMITTEE = bearer(Role.committee)


def submitted_data(
    call_id: uuid.UUID,
    *,
    sex: str = "female",
    requested: str = "18000.00",
    jobs: tuple[int, int] = (2, 2),
    submitted_at: datetime | None = None,
    displacement_status: str = "returnee",
) -> ApplicationSubmittedV1:
    """What `application.submitted` tells scoring about a new application (anonymised facts)."""
    application_id = uuid.uuid4()
    amount = Decimal(requested)
    return ApplicationSubmittedV1(
        application_id=application_id,
        reference=f"EDF-T-{application_id.hex[:6].upper()}",
        call_id=call_id,
        submitted_at=submitted_at or datetime.now(UTC),
        currency="USD",
        business=BusinessFacts(
            sector="agriculture",
            governorate="IQ-NI",
            district="Mosul",
            founded_year=2016,
            employees_female=2,
            employees_male=5,
        ),
        owner=OwnerFacts(sex=sex, birth_year=1988, displacement_status=displacement_status),
        plan=PlanFacts(
            summary="A second milk cooler and two new jobs.",
            jobs_planned_female=jobs[0],
            jobs_planned_male=jobs[1],
            requested_amount=amount,
            co_contribution=Decimal("3000.00"),
            budget_lines=[BudgetLineFacts(item="Milk cooler", quantity=1, unit_cost=amount + Decimal("3000.00"))],
        ),
    )


@dataclass
class Scoring:
    app: FastAPI
    client: TestClient | httpx.Client
    database_url: str

    def deliver(self, subject: str, aggregate: object, data: EventData) -> None:
        assert subject == data.subject, f"{type(data).__name__} is {data.subject}, not {subject}"
        event = make_event(source="/edf/tests", subject=str(aggregate), data=data)
        consumers: list[InboxConsumer] = self.app.state.runtime.consumers
        applier = next(c.applier for c in consumers if subject in c.applier.subscriptions)
        parsed, payload = applier.parse(subject, event.model_dump_json().encode())
        applier.apply(parsed, payload)

    def open_call(self, **overrides: Any) -> uuid.UUID:
        call_id = uuid.uuid4()
        spec = CallSpec.model_validate(call_body(**overrides))
        self.deliver(OPENED, call_id, CallOpenedV1(**spec.model_dump(), call_id=call_id, opened_at=datetime.now(UTC)))
        return call_id

    def add_officer(self, active: bool = True) -> dict[str, str]:
        officer_id = uuid.uuid4()
        self.officer_created(officer_id, active)
        return bearer(Role.officer, officer_id)

    def submit(self, call_id: uuid.UUID, *, eligible: bool = True, **facts: Any) -> uuid.UUID:
        """Submitted and screened, as the applications service would tell it."""
        application_id = self.receive(call_id, **facts)
        self.screen(call_id, application_id, eligible)
        return application_id

    def receive(self, call_id: uuid.UUID, **facts: Any) -> uuid.UUID:
        """Submitted, as the applications service would tell it (`facts`: see `submitted_data`)."""
        data = submitted_data(call_id, **facts)
        self.deliver(SUBMITTED, data.application_id, data)
        return data.application_id

    def screen(self, call_id: uuid.UUID, application_id: uuid.UUID, eligible: bool = True) -> None:
        self.deliver(
            SCREENED,
            application_id,
            ApplicationScreenedV1(
                application_id=application_id,
                call_id=call_id,
                eligible=eligible,
                reasons=[] if eligible else ["sector_not_eligible"],
            ),
        )

    def officer_created(self, officer_id: uuid.UUID, active: bool = True) -> None:
        self.deliver(
            USER_CREATED,
            officer_id,
            UserCreatedV1(user_id=officer_id, role=Role.officer, active=active, created_at=datetime.now(UTC)),
        )

    def withdraw(self, call_id: uuid.UUID, application_id: uuid.UUID) -> None:
        self.deliver(WITHDRAWN, application_id, ApplicationWithdrawnV1(application_id=application_id, call_id=call_id))

    def queue(self, officer: dict[str, str], status: str | None = "pending") -> list[dict[str, Any]]:
        params: dict[str, str | int] = {"status": status, "limit": 200} if status else {"limit": 200}
        response = self.client.get("/api/v1/reviews", params=params, headers=officer)
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    def review_of(self, officer: dict[str, str], application_id: uuid.UUID) -> dict[str, Any] | None:
        return next((r for r in self.queue(officer, None) if r["application_id"] == str(application_id)), None)

    def score(self, officer: dict[str, str], application_id: uuid.UUID, scores: dict[str, int]) -> Any:
        review = self.review_of(officer, application_id)
        assert review is not None, "not in this officer's queue"
        return self.client.post(f"/api/v1/reviews/{review['id']}/submit", json={"scores": scores}, headers=officer)

    def sql(self, query: str, **params: object) -> list[Any]:
        engine = create_engine(self.database_url)
        try:
            with engine.connect() as connection:
                return list(connection.execute(text(query), params).all())
        finally:
            engine.dispose()


@contextmanager
def scoring_service(database_url: str, nats_url: str) -> Iterator[Scoring]:
    with running_app("scoring", database_url, nats_url) as client:
        yield Scoring(app=client.app, client=client, database_url=database_url)  # type: ignore[arg-type]
