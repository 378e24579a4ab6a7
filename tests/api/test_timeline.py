"""The gateway composes an application's timeline from every service, and says which are down."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi.testclient import TestClient

from gateway.main import create_app as create_gateway
from services.applications.main import create_app as create_applications
from services.scoring.main import create_app as create_scoring
from shared.auth import Role
from shared.migrate import upgrade
from tests.support.apps import bearer, settings_for, wait_until
from tests.support.gateway import gateway_settings
from tests.support.natsd import NatsServer
from tests.support.samples import application_body, call_body
from tests.support.servers import ServerThread

ADMIN = bearer(Role.admin)


def test_timeline_across_services_oldest_first_with_missing_parts_named(
    make_database_url: Callable[[], str], own_nats: NatsServer, tmp_path: object
) -> None:
    urls = {name: make_database_url() for name in ("gateway", "applications", "scoring")}
    for name, url in urls.items():
        upgrade(name, url)
    applications = create_applications(
        settings_for(
            "applications", database_url=urls["applications"], nats_url=own_nats.url, documents_dir=f"{tmp_path}/docs"
        )
    )
    scoring = create_scoring(settings_for("scoring", database_url=urls["scoring"], nats_url=own_nats.url))
    with ServerThread(applications) as apps_server, ServerThread(scoring) as scoring_server:
        settings = gateway_settings(urls["gateway"], applications_url=apps_server.url, scoring_url=scoring_server.url)
        with TestClient(create_gateway(settings)) as gateway:
            call = gateway.post("/api/v1/calls", json=call_body(), headers=ADMIN).json()
            gateway.post(f"/api/v1/calls/{call['id']}/open", headers=ADMIN)
            owner = bearer(Role.applicant)
            draft = gateway.post("/api/v1/applications", json=application_body(call["id"]), headers=owner).json()
            gateway.post(f"/api/v1/applications/{draft['id']}/submit", headers=owner)
            wait_until(
                lambda: gateway.get(f"/api/v1/applications/{draft['id']}", headers=owner).json()["status"] == "eligible"
            )

            response = gateway.get(f"/api/v1/applications/{draft['id']}/timeline", headers=owner)
            assert response.status_code == 200, response.text
            items = response.json()
            types = [item["type"] for item in items]
            assert types[:3] == ["application.created", "application.submitted", "application.screened"]
            times = [datetime.fromisoformat(item["time"]) for item in items[:3]]
            assert times == sorted(times)
            missing = {item["service"] for item in items if item["type"] == "timeline.part_missing"}
            assert missing == {"disbursement", "monitoring"}
            assert response.headers["x-timeline-unavailable"] == "disbursement,monitoring"

            assert (
                gateway.get(f"/api/v1/applications/{draft['id']}/timeline", headers=bearer(Role.applicant)).status_code
                == 404
            )
            assert gateway.get(f"/api/v1/applications/{draft['id']}/timeline").status_code == 401
            assert (
                gateway.get(f"/api/v1/applications/{draft['id']}/timeline", headers=bearer(Role.officer)).status_code
                == 200
            )
            # Not reachable from outside: the internal part is not proxied.
            assert gateway.get(f"/internal/timeline/applications/{draft['id']}", headers=ADMIN).status_code == 404
