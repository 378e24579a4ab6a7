"""The budget holds under concurrent awards: 50 committee requests at the same moment against a
budget that covers 10 (scoring served by uvicorn in threads, its database shared by them all)."""

from __future__ import annotations

import json
import threading
import uuid
from decimal import Decimal

import httpx
import pytest

from services.scoring.main import create_app
from shared.migrate import upgrade
from tests.support.apps import settings_for
from tests.support.natsd import NatsServer
from tests.support.scoring import COMMITTEE, Scoring
from tests.support.servers import ServerThread

pytestmark = [pytest.mark.integration]
REQUESTS = 50
AWARD = Decimal("10000.00")


def test_fifty_simultaneous_awards_against_a_budget_for_ten(database_url: str, own_nats: NatsServer) -> None:
    upgrade("scoring", database_url)
    app = create_app(settings_for("scoring", database_url=database_url, nats_url=own_nats.url))
    with ServerThread(app) as server, httpx.Client(base_url=server.url, timeout=60) as client:
        scoring = Scoring(app=app, client=client, database_url=database_url)
        call = scoring.open_call(reviewers_per_application=1, budget=str(AWARD * 10), grant_max="30000.00")
        officer = scoring.add_officer()
        applications = []
        for _ in range(REQUESTS):
            application = scoring.submit(call, requested=str(AWARD))
            assert scoring.score(officer, application, {"jobs": 4, "viability": 8}).status_code == 200
            applications.append(application)

        start = threading.Barrier(REQUESTS)
        answers: dict[uuid.UUID, httpx.Response] = {}

        def award(application: uuid.UUID) -> None:
            body = {"decisions": [{"application_id": str(application), "decision": "award"}]}
            with httpx.Client(base_url=server.url, timeout=60) as own:
                start.wait()
                answers[application] = own.post(f"/api/v1/calls/{call}/decisions", json=body, headers=COMMITTEE)

        threads = [threading.Thread(target=award, args=(a,)) for a in applications]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)

    assert sorted(r.status_code for r in answers.values()) == [200] * REQUESTS
    accepted = [a for r in answers.values() for a in r.json()["accepted"]]
    refused = [a for r in answers.values() for a in r.json()["refused"]]
    assert len(accepted) == 10 and len(refused) == REQUESTS - 10
    assert {r["reason"] for r in refused} == {"budget_exceeded"}

    ledger = Decimal(str(scoring.sql("SELECT awarded_total FROM calls")[0][0]))
    assert ledger == sum((Decimal(a["amount"]) for a in accepted), Decimal(0)) == AWARD * 10
    stored = scoring.sql("SELECT amount FROM decisions WHERE decision = 'awarded'")
    assert sum((Decimal(str(row[0])) for row in stored), Decimal(0)) == ledger and len(stored) == 10
    awarded = scoring.sql("SELECT count(*) FROM applications WHERE status = 'awarded'")[0][0]
    events = scoring.sql("SELECT payload FROM outbox WHERE subject = 'edf.scoring.application.decided.v1'")
    assert awarded == 10 and len(events) == 10
    assert {json.loads(row[0])["data"]["amount"] for row in events} == {"10000.00"}
