"""The operators' `edf` command against real (SQLite) databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from tests.support.intake import intake_service
from tests.support.natsd import NatsServer

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    urls = {
        "GATEWAY_DATABASE_URL": f"sqlite:///{tmp_path / 'gateway.db'}",
        "APPLICATIONS_DATABASE_URL": f"sqlite:///{tmp_path / 'applications.db'}",
    }
    for name, value in urls.items():
        monkeypatch.setenv(name, value)
    return urls


def test_create_a_user_with_a_role_and_refuse_a_duplicate(env: dict[str, str]) -> None:
    args = [
        "users",
        "create",
        "--email",
        "officer@edf.example",
        "--role",
        "officer",
        "--full-name",
        "Omar",
        "--password",
        "a-long-password",
    ]
    created = runner.invoke(app, args)
    assert created.exit_code == 0, created.output
    assert "created officer" in created.output
    again = runner.invoke(app, args)
    assert again.exit_code == 1 and "exists already" in again.output
    weak = runner.invoke(app, [*args[:3], "x@edf.example", *args[4:-1], "short"])
    assert weak.exit_code == 1 and "password" in weak.output


def test_list_calls_and_show_an_application_by_reference(
    env: dict[str, str], own_nats: NatsServer, tmp_path: Path
) -> None:
    with intake_service(env["APPLICATIONS_DATABASE_URL"], own_nats.url, tmp_path) as intake:
        application = intake.draft(owner={"national_id": "CLI00012345"})
        code = intake.call["code"]
    listed = runner.invoke(app, ["calls", "list"])
    assert listed.exit_code == 0 and code in listed.output and "open" in listed.output
    shown = runner.invoke(app, ["applications", "show", application["reference"].lower()])
    assert shown.exit_code == 0, shown.output
    assert application["id"] in shown.output and "2345" in shown.output and "CLI00012345" not in shown.output
    missing = runner.invoke(app, ["applications", "show", "EDF-NOPE-000001"])
    assert missing.exit_code == 1
