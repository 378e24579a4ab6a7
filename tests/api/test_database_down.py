"""A service whose database cannot be reached answers 503 with Retry-After, not 500: the request
changed nothing and may be sent again (what clients and the web form do with it)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from services.applications.main import create_app
from services.applications.settings import Settings
from tests.support.gateway import assert_problem
from tests.support.natsd import free_port


def test_a_service_without_its_database_answers_503_with_retry_after() -> None:
    nowhere: dict[str, Any] = {"EDF_NATS_URL": f"nats://127.0.0.1:{free_port()}"}
    settings = Settings(database_url=f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/gone", **nowhere)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        response = client.get("/api/v1/calls")
        problem = assert_problem(response, 503)
        assert response.headers["retry-after"] == "5"
        assert "database" in problem["detail"] and "postgres" not in response.text
        assert client.get("/healthz").status_code == 200
        ready = assert_problem(client.get("/readyz"), 503)  # NATS is away too, but only reported
        assert ready["database"] == "unreachable" and ready["nats"] in ("connecting", "reconnecting")
