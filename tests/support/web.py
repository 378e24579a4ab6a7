"""The applicants' web pages for tests: the applications service and the gateway as real HTTP
servers (uvicorn in threads) on fresh databases, with an open call created through the API."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from gateway.main import create_app as create_gateway
from services.applications.main import create_app as create_applications
from services.applications.settings import Settings as ApplicationsSettings
from shared.auth import Role
from shared.migrate import upgrade
from tests.support.apps import bearer
from tests.support.gateway import gateway_settings
from tests.support.natsd import app_login
from tests.support.samples import call_body
from tests.support.servers import ServerThread

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
# The smallest PDF that the service recognises by its first bytes.
SMALL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Count 0/Kids[]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


@dataclass
class WebStack:
    gateway_url: str
    applications_url: str
    call: dict[str, Any]

    def open_call(self, **overrides: Any) -> dict[str, Any]:
        admin = bearer(Role.admin)
        with httpx.Client(base_url=self.applications_url, headers=admin, timeout=10) as client:
            created = client.post("/api/v1/calls", json=call_body(**overrides))
            assert created.status_code == 201, created.text
            opened = client.post(f"/api/v1/calls/{created.json()['id']}/open")
            assert opened.status_code == 200, opened.text
            return dict(opened.json())

    def application(self, application_id: str) -> dict[str, Any]:
        response = httpx.get(
            f"{self.applications_url}/api/v1/applications/{application_id}", headers=bearer(Role.admin), timeout=10
        )
        assert response.status_code == 200, response.text
        return dict(response.json())


@contextmanager
def web_stack(
    new_database_url: Callable[[], str], nats_url: str, tmp_path: Path, **gateway_overrides: Any
) -> Iterator[WebStack]:
    applications_db, gateway_db = new_database_url(), new_database_url()
    upgrade("applications", applications_db)
    upgrade("gateway", gateway_db)
    applications = ApplicationsSettings(
        database_url=applications_db, documents_dir=tmp_path / "documents", **app_login(nats_url, "applications")
    )
    with ServerThread(create_applications(applications)) as service:
        login = app_login(nats_url, "gateway")  # each app its own NATS user (production requires one)
        settings = gateway_settings(gateway_db, applications_url=service.url, **{**login, **gateway_overrides})
        with ServerThread(create_gateway(settings)) as gateway:
            stack = WebStack(gateway_url=gateway.url, applications_url=service.url, call={})
            stack.call = stack.open_call()
            yield stack


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found is not None, "no CSRF token in the page"
    return found.group(1)
