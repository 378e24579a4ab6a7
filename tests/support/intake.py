"""An applications service with an open call, and helpers to drive applications through it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from shared.auth import Role
from tests.support.apps import bearer, running_app, wait_until
from tests.support.samples import application_body, call_body

ADMIN = bearer(Role.admin)


@dataclass
class Intake:
    client: TestClient
    database_url: str
    documents_dir: Path
    call: dict[str, Any]
    applicant: dict[str, str] = field(default_factory=lambda: bearer(Role.applicant, uuid.uuid4()))

    def open_call(self, **overrides: Any) -> dict[str, Any]:
        call = self.client.post("/api/v1/calls", json=call_body(**overrides), headers=ADMIN).json()
        return dict(self.client.post(f"/api/v1/calls/{call['id']}/open", headers=ADMIN).json())

    def new_applicant(self) -> dict[str, str]:
        return bearer(Role.applicant, uuid.uuid4())

    def draft(
        self, headers: dict[str, str] | None = None, call: dict[str, Any] | None = None, **sections: dict[str, Any]
    ) -> dict[str, Any]:
        body = application_body((call or self.call)["id"], **sections)
        response = self.client.post("/api/v1/applications", json=body, headers=headers or self.applicant)
        assert response.status_code == 201, response.text
        return dict(response.json())

    def submit(self, application: dict[str, Any], headers: dict[str, str] | None = None) -> dict[str, Any]:
        response = self.client.post(
            f"/api/v1/applications/{application['id']}/submit", headers=headers or self.applicant
        )
        assert response.status_code == 200, response.text
        return dict(response.json())

    def screened(self, application: dict[str, Any], headers: dict[str, str] | None = None) -> dict[str, Any]:
        def done() -> dict[str, Any] | None:
            found = self.client.get(f"/api/v1/applications/{application['id']}", headers=headers or ADMIN).json()
            return found if found["status"] in ("eligible", "ineligible") else None

        return wait_until(done)


@contextmanager
def intake_service(database_url: str, nats_url: str, tmp_path: Path) -> Iterator[Intake]:
    documents = tmp_path / "documents"
    with running_app("applications", database_url, nats_url, documents_dir=documents) as client:
        intake = Intake(client=client, database_url=database_url, documents_dir=documents, call={})
        intake.call = intake.open_call()
        yield intake
