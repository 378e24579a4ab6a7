"""A grant's whole life through the gateway of a running stack, recording each state-changing
request (its correlation id, who sent it, the audit actions it should leave) so that a test can
check the audit trail of every app against it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
from sqlalchemy import Engine, create_engine, text

from shared.events.envelope import make_event
from shared.events.finance import PaymentFailedV1, PaymentSettledV1
from tests.support.apps import wait_until
from tests.support.jetstream import publish
from tests.support.samples import application_body, call_body
from tests.support.stack import Stack

T = TypeVar("T")
PASSWORD = "a long password 1"
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
# (before status, after status) an audit row must show; None: not checked.
Transition = tuple[str | None, str | None] | None


@dataclass(frozen=True)
class User:
    id: str
    role: str
    headers: dict[str, str]


@dataclass(frozen=True)
class Sent:
    service: str
    method: str
    path: str
    correlation_id: str
    actor: User
    expect: dict[str, Transition]


@dataclass
class Lifecycle:
    stack: Stack
    urls: dict[str, str]  # app -> database URL
    sent: list[Sent] = field(default_factory=list)
    personal: set[str] = field(default_factory=set)  # values that must appear in no audit row
    _engines: dict[str, Engine] = field(default_factory=dict)

    # --- plumbing ---
    def sql(self, app: str, query: str, **params: Any) -> list[Any]:
        engine = self._engines.setdefault(app, create_engine(self.urls[app]))
        with engine.connect() as connection:
            return list(connection.execute(text(query), params).all())

    def close(self) -> None:
        for engine in self._engines.values():
            engine.dispose()

    def send(
        self, service: str, actor: User | None, method: str, path: str, expect: dict[str, Transition], **kwargs: Any
    ) -> httpx.Response:
        correlation_id = f"audit-{uuid.uuid4().hex}"
        headers = {**(actor.headers if actor else {}), "X-Correlation-ID": correlation_id}
        response = httpx.request(method, f"{self.stack.gateway}/api/v1{path}", headers=headers, timeout=60, **kwargs)
        assert response.is_success, f"{method} {path}: {response.status_code} {response.text}"
        if actor is None:  # a sign-up: the new user acts on their own account
            actor = User(id=response.json()["id"], role="applicant", headers={})
        self.sent.append(Sent(service, method, path, correlation_id, actor, expect))
        return response

    def get(self, actor: User, path: str) -> Any:
        response = httpx.get(f"{self.stack.gateway}/api/v1{path}", headers=actor.headers, timeout=60)
        assert response.is_success, f"GET {path}: {response.status_code} {response.text}"
        return response.json()

    def finance_event(self, subject: str, instruction_id: str, data: PaymentFailedV1 | PaymentSettledV1) -> None:
        event = make_event(source="/edf/finance", subject=instruction_id, data=data)
        publish(self.stack.nats_url, subject, event.model_dump_json().encode(), msg_id=str(event.id))

    # --- people ---
    def admin(self) -> User:
        headers = self.stack.token()
        return User(id=self.get(User("", "admin", headers), "/auth/me")["id"], role="admin", headers=headers)

    def staff(self, admin: User, role: str) -> User:
        email, name = f"{role}-{uuid.uuid4().hex[:8]}@example.org", f"Staffer {uuid.uuid4().hex[:6]}"
        self.personal.update({email, name})
        created = self.send(
            "gateway",
            admin,
            "POST",
            "/users",
            {"user.created": None},
            json={"email": email, "password": PASSWORD, "full_name": name, "role": role},
        )
        return User(id=created.json()["id"], role=role, headers=self.stack.token(email, PASSWORD))

    def applicant(self) -> User:
        email, name = f"applicant-{uuid.uuid4().hex[:8]}@example.org", f"Layla {uuid.uuid4().hex[:6]}"
        phone = "+96477" + str(uuid.uuid4().int)[:8]
        self.personal.update({email, name, phone})
        created = self.send(
            "gateway",
            None,
            "POST",
            "/auth/register",
            {"user.registered": None},
            json={"email": email, "password": PASSWORD, "full_name": name, "phone": phone},
        )
        return User(id=created.json()["id"], role="applicant", headers=self.stack.token(email, PASSWORD))

    # --- intake ---
    def draft(self, applicant: User, call_id: str, **sections: dict[str, Any]) -> dict[str, Any]:
        body = application_body(call_id, **sections)
        self.personal.update({body["owner"]["full_name"], body["owner"]["national_id"], body["owner"]["phone"]})
        return dict(
            self.send(
                "applications", applicant, "POST", "/applications", {"application.created": None}, json=body
            ).json()
        )

    def submit(self, applicant: User, application: dict[str, Any]) -> None:
        self.send(
            "applications",
            applicant,
            "POST",
            f"/applications/{application['id']}/submit",
            {"application.submitted": ("draft", "submitted")},
        )

    def open_call(self, admin: User) -> dict[str, Any]:
        call = self.send(
            "applications", admin, "POST", "/calls", {"call.created": None}, json=call_body(reviewers_per_application=1)
        ).json()
        self.send("applications", admin, "POST", f"/calls/{call['id']}/open", {"call.opened": (None, "open")})
        return dict(call)

    def audited(self, app: str, entity_id: str, action: str) -> bool:
        return bool(
            self.sql(app, "SELECT 1 FROM audit_log WHERE entity_id = :e AND action = :a", e=entity_id, a=action)
        )


def eventually(check: Callable[[], T | None], timeout: float = 60.0, what: str | Callable[[], str] = "") -> T:
    def says() -> str:
        return f"not: {what() if callable(what) else what}"

    return wait_until(check, timeout, interval=0.2, what=says)


def now() -> datetime:
    return datetime.now(UTC)
