"""The gateway publishes `user.created` (id and role only) so that services can keep e.g. the
list of officers."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from gateway.main import create_app
from shared.migrate import upgrade
from tests.support.apps import wait_until
from tests.support.gateway import gateway_settings, unique_email
from tests.support.jetstream import stream_messages
from tests.support.natsd import NatsServer


def test_sign_ups_and_created_staff_are_published_without_personal_data(
    database_url: str, own_nats: NatsServer
) -> None:
    upgrade("gateway", database_url)
    admin_email, email = unique_email("admin"), unique_email("amal")
    settings = gateway_settings(
        database_url,
        nats_url=own_nats.url,
        bootstrap_admin_email=admin_email,
        bootstrap_admin_password="admin password 123",
    )
    with TestClient(create_app(settings)) as client:
        client.post(
            "/api/v1/auth/register",
            json={"email": email, "password": "a long password", "full_name": "Amal Yousif", "phone": "+9647701112233"},
        )

        def published() -> list[dict[str, object]]:
            try:
                return [json.loads(m.data) for m in stream_messages(own_nats.url, "EDF_GATEWAY")]
            except Exception:  # noqa: BLE001  (the stream may not exist yet)
                return []

        events = wait_until(lambda: (found := published()) and len(found) == 2 and found)
    assert [(e["type"], e["data"]["role"]) for e in events] == [
        ("edf.gateway.user.created.v1", "admin"),
        ("edf.gateway.user.created.v1", "applicant"),
    ]
    raw = json.dumps(events)
    assert email not in raw and admin_email not in raw and "Amal" not in raw and "7701112233" not in raw
