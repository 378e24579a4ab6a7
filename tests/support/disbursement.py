"""A disbursement service in-process, fed the events it consumes through its own inbox
consumers (the same code path as a delivery from JetStream, without waiting for one), and
helpers that take a grant to the state a test needs."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from shared.auth import Role
from shared.events.applications import (
    ApplicationDecidedV1,
    ApplicationSubmittedV1,
    BudgetLineFacts,
    BusinessFacts,
    OwnerFacts,
    PlanFacts,
)
from shared.events.calls import CallOpenedV1, CallSpec
from shared.events.envelope import CloudEvent, EventData, make_event
from shared.events.finance import PaymentFailedV1, PaymentSettledV1
from shared.events.monitoring import FlagResolvedV1, GrantFlaggedV1, MilestoneVerifiedV1
from shared.inbox import InboxConsumer
from shared.nats_auth import FINANCE, credentials_document, write_private
from tests.support.apps import REPO, bearer, running_app
from tests.support.natsd import app_login
from tests.support.samples import call_body

OPENED = "edf.applications.call.opened.v1"
SUBMITTED = "edf.applications.application.submitted.v1"
DECIDED = "edf.scoring.application.decided.v1"
VERIFIED = "edf.monitoring.milestone.verified.v1"
FLAGGED = "edf.monitoring.grant.flagged.v1"
RESOLVED = "edf.monitoring.flag.resolved.v1"
SETTLED = "edf.finance.payment.settled.v1"
FAILED = "edf.finance.payment.failed.v1"
IBAN = "IQ98NBIQ850123456789012"
BANK_PAYEE = {"method": "bank", "account_holder": "Layla Hassan", "iban": IBAN, "bank_name": "National Bank of Iraq"}


def event(subject: str, aggregate: object, data: EventData) -> CloudEvent:
    assert subject == data.subject, f"{type(data).__name__} is {data.subject}, not {subject}"
    return make_event(source="/edf/tests", subject=str(aggregate), data=data)


@dataclass
class Disbursement:
    app: FastAPI
    client: TestClient | httpx.Client
    database_url: str

    def deliver_event(self, cloud_event: CloudEvent) -> bool:
        """Applies the event as its inbox consumer would; False when it was a duplicate."""
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

    def submit(self, call_id: uuid.UUID, applicant_id: uuid.UUID | None = None, currency: str = "USD") -> uuid.UUID:
        application_id = uuid.uuid4()
        self.deliver(SUBMITTED, application_id, submitted_event(application_id, call_id, applicant_id, currency))
        return application_id

    def decided(
        self,
        call_id: uuid.UUID,
        application_id: uuid.UUID,
        amount: str = "18000.00",
        currency: str = "USD",
        decision: str = "awarded",
    ) -> CloudEvent:
        return event(
            DECIDED,
            application_id,
            ApplicationDecidedV1(
                application_id=application_id,
                call_id=call_id,
                decision=decision,  # type: ignore[arg-type]
                amount=Decimal(amount) if decision == "awarded" else None,
                currency=currency,
                decided_at=datetime.now(UTC),
                reference=None,
            ),
        )

    def award(
        self, call_id: uuid.UUID, applicant_id: uuid.UUID | None = None, amount: str = "18000.00", currency: str = "USD"
    ) -> dict[str, Any]:
        application_id = self.submit(call_id, applicant_id, currency)
        self.deliver_event(self.decided(call_id, application_id, amount, currency))
        return self.grant_of(application_id)

    def grant_of(self, application_id: uuid.UUID) -> dict[str, Any]:
        found = self.client.get("/api/v1/grants", params={"limit": 200}, headers=bearer(Role.officer)).json()
        return next(g for g in found["items"] if g["application_id"] == str(application_id))

    def grant(self, grant_id: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
        response = self.client.get(f"/api/v1/grants/{grant_id}", headers=headers or bearer(Role.officer))
        assert response.status_code == 200, response.text
        return dict(response.json())

    def verify(self, grant_id: str, milestone: str, verified_by: uuid.UUID | None = None) -> None:
        """As monitoring reports it; without `verified_by`, as an event from before it said who."""
        self.deliver(
            VERIFIED,
            grant_id,
            MilestoneVerifiedV1(
                grant_id=uuid.UUID(grant_id),
                milestone=milestone,
                verified_at=datetime.now(UTC),
                verified_by=verified_by,
            ),
        )

    def flag(self, grant_id: str, hold_payments: bool = True) -> uuid.UUID:
        flag_id = uuid.uuid4()
        self.deliver(
            FLAGGED,
            grant_id,
            GrantFlaggedV1(flag_id=flag_id, grant_id=uuid.UUID(grant_id), hold_payments=hold_payments),
        )
        return flag_id

    def resolve(
        self, grant_id: str, flag_id: uuid.UUID, hold_payments: bool = True, resolved_by: uuid.UUID | None = None
    ) -> None:
        self.deliver(
            RESOLVED,
            grant_id,
            FlagResolvedV1(
                flag_id=flag_id, grant_id=uuid.UUID(grant_id), hold_payments=hold_payments, resolved_by=resolved_by
            ),
        )

    def set_payee(
        self, grant_id: str, headers: dict[str, str] | None = None, *, confirm: bool = True, **fields: Any
    ) -> httpx.Response:
        """Records payout details (as an officer unless `headers` say who); details staff record
        are then confirmed by another officer unless `confirm` is false (the PUT's answer)."""
        body = {**BANK_PAYEE, **fields}
        recorded = self.client.put(
            f"/api/v1/grants/{grant_id}/payee",
            json={k: v for k, v in body.items() if v is not None},
            headers=headers or bearer(Role.officer),
        )
        if confirm and recorded.status_code == 200 and recorded.json().get("status") == "pending":
            confirmed = self.confirm_payee(grant_id, recorded.json()["id"], bearer(Role.officer))
            assert confirmed.status_code == 200, confirmed.text
        return recorded

    def confirm_payee(self, grant_id: str, payee_id: str, headers: dict[str, str]) -> httpx.Response:
        return self.client.post(
            f"/api/v1/grants/{grant_id}/payee/confirm", json={"payee_id": payee_id}, headers=headers
        )

    def request(self, tranche_id: str, headers: dict[str, str]) -> httpx.Response:
        return self.client.post(f"/api/v1/tranches/{tranche_id}/request", headers=headers)

    def approve(self, tranche_id: str, headers: dict[str, str]) -> httpx.Response:
        return self.client.post(f"/api/v1/tranches/{tranche_id}/approve", headers=headers)

    def settle(
        self, instruction_id: str, status: str = "settled", headers: dict[str, str] | None = None, **fields: Any
    ) -> httpx.Response:
        body = {"status": status, "at": datetime.now(UTC).isoformat(), **fields}
        return self.client.post(
            f"/api/v1/payments/{instruction_id}/settlement", json=body, headers=headers or bearer(Role.finance)
        )

    def settled_event(self, instruction_id: str, bank_reference: str = "BANK-1") -> CloudEvent:
        return event(
            SETTLED,
            instruction_id,
            PaymentSettledV1(
                instruction_id=uuid.UUID(instruction_id), settled_at=datetime.now(UTC), bank_reference=bank_reference
            ),
        )

    def failed_event(self, instruction_id: str, reason: str = "account closed") -> CloudEvent:
        return event(
            FAILED,
            instruction_id,
            PaymentFailedV1(instruction_id=uuid.UUID(instruction_id), failed_at=datetime.now(UTC), reason=reason),
        )

    def ready_tranche(
        self, call_id: uuid.UUID | None = None, seq: int = 1, applicant_id: uuid.UUID | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """A grant with payout details whose tranche `seq` is eligible: (grant, tranche)."""
        grant = self.award(call_id or self.open_call(), applicant_id)
        assert self.set_payee(grant["id"]).status_code == 200
        tranche = grant["tranches"][seq - 1]
        self.verify(grant["id"], tranche["milestone"])
        return self.grant(grant["id"]), self.grant(grant["id"])["tranches"][seq - 1]

    def instructed(
        self, officer: dict[str, str] | None = None, finance: dict[str, str] | None = None, **kwargs: Any
    ) -> tuple[dict[str, Any], str]:
        """A grant whose first tranche is instructed: (grant, instruction id)."""
        grant, tranche = self.ready_tranche(**kwargs)
        assert self.request(tranche["id"], officer or bearer(Role.officer)).status_code == 200
        approved = self.approve(tranche["id"], finance or bearer(Role.finance))
        assert approved.status_code == 200, approved.text
        return grant, str(approved.json()["instruction_id"])

    def sql(self, query: str, **params: object) -> list[Any]:
        engine = create_engine(self.database_url)
        try:
            with engine.connect() as connection:
                return list(connection.execute(text(query), params).all())
        finally:
            engine.dispose()

    def scalar(self, query: str, **params: object) -> Any:
        return self.sql(query, **params)[0][0]


def submitted_event(
    application_id: uuid.UUID, call_id: uuid.UUID, applicant_id: uuid.UUID | None, currency: str = "USD"
) -> ApplicationSubmittedV1:
    return ApplicationSubmittedV1(
        application_id=application_id,
        reference=f"EDF-T-{application_id.hex[:8].upper()}",
        call_id=call_id,
        submitted_at=datetime.now(UTC),
        currency=currency,
        applicant_id=applicant_id,
        business=BusinessFacts(
            sector="agriculture",
            governorate="IQ-NI",
            district="Mosul",
            founded_year=2016,
            employees_female=2,
            employees_male=5,
        ),
        owner=OwnerFacts(sex="female", birth_year=1988, displacement_status="returnee"),
        plan=PlanFacts(
            summary="A second milk cooler and two new jobs.",
            jobs_planned_female=2,
            jobs_planned_male=2,
            requested_amount=Decimal("18000.00"),
            co_contribution=Decimal("3000.00"),
            budget_lines=[BudgetLineFacts(item="Milk cooler", quantity=1, unit_cost=Decimal("21000.00"))],
        ),
    )


@contextmanager
def disbursement_service(database_url: str, nats_url: str, **settings: Any) -> Iterator[Disbursement]:
    with running_app("disbursement", database_url, nats_url, **settings) as client:
        yield Disbursement(app=client.app, client=client, database_url=database_url)  # type: ignore[arg-type]


@contextmanager
def finance_sim_process(nats_url: str, db: Path, *args: str) -> Iterator[subprocess.Popen[bytes]]:
    """`edf finance-sim` as the separate process a finance system is, as the `finance` NATS user
    (a connection file beside `db`, as the local stack writes one); its output in `<db>.log`."""
    login = app_login(nats_url, FINANCE)
    connect = ["--nats-url", login["nats_url"]]
    if "nats_user" in login:
        credentials = db.with_suffix(".nats.json")
        document = credentials_document(login["nats_url"], login["nats_user"], login["nats_password"])
        write_private(credentials, json.dumps(document))
        connect += ["--credentials", str(credentials)]
    with db.with_suffix(".log").open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "cli.main", "finance-sim", *connect, "--db", str(db), *args],
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def sim_payments(db: Path) -> list[tuple[str, str]]:
    """(instruction id, outcome) of every payment in the finance sim's own record."""
    with closing(sqlite3.connect(db)) as connection:
        return [tuple(row) for row in connection.execute("SELECT instruction_id, outcome FROM payments ORDER BY seq")]
