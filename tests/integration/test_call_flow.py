"""A call opened in applications reaches scoring, disbursement and monitoring through NATS."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import ExitStack

from sqlmodel import Session

from services.disbursement.models import Call as DisbursementCall
from services.monitoring.models import Call as MonitoringCall
from services.scoring.models import Call as ScoringCall
from shared.auth import Role
from shared.db import make_engine
from tests.support.apps import bearer, running_app, wait_until
from tests.support.natsd import NatsServer
from tests.support.samples import call_body

ADMIN = bearer(Role.admin)


def copy_in(database_url: str, model: type, call_id: uuid.UUID) -> object | None:
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            return session.get(model, call_id)
    finally:
        engine.dispose()


def test_opening_and_closing_a_call_reaches_the_three_consuming_services(
    make_database_url: Callable[[], str], own_nats: NatsServer
) -> None:
    urls = {name: make_database_url() for name in ("applications", "scoring", "disbursement", "monitoring")}
    with ExitStack() as stack:
        clients = {name: stack.enter_context(running_app(name, url, own_nats.url)) for name, url in urls.items()}
        applications = clients["applications"]
        call = applications.post("/api/v1/calls", json=call_body(), headers=ADMIN).json()
        call_id = uuid.UUID(call["id"])
        applications.post(f"/api/v1/calls/{call_id}/open", headers=ADMIN)

        scoring = wait_until(lambda: copy_in(urls["scoring"], ScoringCall, call_id))
        disbursement = wait_until(lambda: copy_in(urls["disbursement"], DisbursementCall, call_id))
        monitoring = wait_until(lambda: copy_in(urls["monitoring"], MonitoringCall, call_id))
        assert isinstance(scoring, ScoringCall) and scoring.reviewers_per_application == 2
        assert [c["key"] for c in scoring.rubric] == ["jobs", "viability"]
        assert isinstance(disbursement, DisbursementCall) and disbursement.currency_exponent == 2
        assert [s["percent"] for s in disbursement.tranche_plan] == ["50", "30", "20"]
        assert isinstance(monitoring, MonitoringCall) and monitoring.monitoring_schedule_days == [90, 180, 365]

        applications.post(f"/api/v1/calls/{call_id}/close", headers=ADMIN)
        for name, model in (
            ("scoring", ScoringCall),
            ("disbursement", DisbursementCall),
            ("monitoring", MonitoringCall),
        ):
            wait_until(lambda m=model, n=name: getattr(copy_in(urls[n], m, call_id), "status", None) == "closed")
