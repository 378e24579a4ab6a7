"""`edf dlq list|replay` and `edf outbox status` against the database of a running service (real
JetStream; SQLite, and PostgreSQL when EDF_TEST_POSTGRES_URL is set), and the admin endpoint
`GET /api/v1/ops/<service>/outbox`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from cli.main import app as edf
from shared.auth import Role
from shared.events.calls import CallClosedV1
from shared.events.envelope import make_event
from tests.integration.test_inbox import OPENED, call_opened_event, count
from tests.support.apps import bearer, running_app, wait_until
from tests.support.intake import intake_service
from tests.support.jetstream import consumer_settled, create_streams, publish
from tests.support.natsd import NatsServer, free_port

runner = CliRunner()
DURABLE = "monitoring--EDF_APPLICATIONS"


@pytest.fixture(autouse=True)
def no_other_databases(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every app's default database is a file that does not exist, unless a test names one."""
    monkeypatch.setenv("EDF_VAR_DIR", str(tmp_path / "var"))
    for app in ("GATEWAY", "APPLICATIONS", "SCORING", "DISBURSEMENT", "MONITORING"):
        monkeypatch.delenv(f"{app}_DATABASE_URL", raising=False)


def edf_run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(edf, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_dead_letters_are_listed_and_replayed_once_they_can_apply(
    database_url: str, own_nats: NatsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MONITORING_DATABASE_URL", database_url)
    create_streams(own_nats.url)
    call_id, opened = call_opened_event()
    closed = make_event(
        source="/edf/applications",
        subject=str(call_id),
        data=CallClosedV1(call_id=call_id, closed_at=datetime.now(UTC)),
    )
    with running_app("monitoring", database_url, own_nats.url, consumer_max_deliver=2):
        publish(own_nats.url, OPENED, b"\xff not an event")
        seq = publish(own_nats.url, closed.type, closed.model_dump_json().encode())  # before its call.opened
        wait_until(lambda: consumer_settled(own_nats.url, "EDF_APPLICATIONS", DURABLE, seq), timeout=60)

        code, out, _ = edf_run("dlq", "list", "--service", "monitoring")
        assert code == 0, out
        lines = out.splitlines()
        assert lines[0].split() == ["ID", "SERVICE", "SUBJECT", "EVENT", "ID", "FAILED", "AT", "ERROR"]
        assert len(lines) == 3
        unparseable, early = lines[1].split(), lines[2].split()
        assert unparseable[1:4] == ["monitoring", OPENED, "-"] and "unparseable:" in unparseable
        assert early[1:4] == ["monitoring", closed.type, str(closed.id)] and "failed" in early
        # Every app: the others have no database here, which the command says (and exits 1).
        code, out, err = edf_run("dlq", "list")
        assert code == 1 and out.count("monitoring") == 2 and "gateway: no database at" in err

        code, _, err = edf_run("dlq", "replay", early[0], "--service", "monitoring")
        assert code == 1 and "still cannot be applied" in err  # its call is still unknown here
        seq = publish(own_nats.url, OPENED, opened)
        wait_until(lambda: consumer_settled(own_nats.url, "EDF_APPLICATIONS", DURABLE, seq), timeout=60)
        code, out, err = edf_run("dlq", "replay", early[0], "--service", "monitoring")
        assert code == 0, err
        assert out.startswith(f"replayed monitoring dead letter {early[0]} ({closed.type}, event {closed.id})")
        code, _, err = edf_run("dlq", "replay", early[0], "--service", "monitoring")
        assert code == 1 and "replayed already" in err
        assert edf_run("dlq", "replay", "999999", "--service", "monitoring")[2].endswith("no such dead letter\n")
        assert "consumes no events" in edf_run("dlq", "replay", "1", "--service", "gateway")[2]

        code, out, _ = edf_run("dlq", "list", "-s", "monitoring")
        assert code == 0 and [line.split()[0] for line in out.splitlines()[1:]] == [unparseable[0]]
        code, out, _ = edf_run("dlq", "list", "-s", "monitoring", "--all")
        assert "replayed" in out and early[0] in out
    assert count(database_url, "SELECT count(*) FROM calls WHERE status = 'closed'") == 1
    assert (
        count(
            database_url,
            "SELECT count(*) FROM audit_log WHERE action = 'call.closed' AND causation_id = :e",
            e=str(closed.id),
        )
        == 1
    )


def test_outbox_status_shows_the_backlog_while_nats_is_away_and_none_once_drained(
    database_url: str, own_nats: NatsServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APPLICATIONS_DATABASE_URL", database_url)
    admin = bearer(Role.admin)
    nowhere = f"nats://127.0.0.1:{free_port()}"  # nothing listens there: events wait in the outbox
    with intake_service(database_url, nowhere, tmp_path) as intake:
        intake.open_call()
        code, out, _ = edf_run("outbox", "status", "--service", "applications")
        assert code == 0, out
        header, row = out.splitlines()
        assert header.split() == ["SERVICE", "PENDING", "OLDEST", "PENDING", "LAST", "PUBLISHED", "AT"]
        assert row.split()[:2] == ["applications", "2"] and row.split()[3] == "-"  # two call.opened, none sent
        status = intake.client.get("/api/v1/ops/applications/outbox", headers=admin)
        assert status.status_code == 200
        assert status.json()["pending"] == 2 and status.json()["last_published_at"] is None
        assert intake.client.get("/api/v1/ops/applications/outbox", headers=bearer(Role.officer)).status_code == 403

    with running_app("applications", database_url, own_nats.url) as client:  # NATS is back
        wait_until(
            lambda: client.get("/api/v1/ops/applications/outbox", headers=admin).json()["pending"] == 0, timeout=60
        )
        code, out, _ = edf_run("outbox", "status", "-s", "applications")
        cells = out.splitlines()[1].split()
        assert code == 0 and cells[:3] == ["applications", "0", "-"]
        assert cells[3].startswith(str(datetime.now(UTC).year))


def test_every_app_is_reported_and_a_database_that_is_not_migrated_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bare = tmp_path / "bare.db"
    engine = create_engine(f"sqlite:///{bare}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE unrelated (id INTEGER)"))
    engine.dispose()
    monkeypatch.setenv("SCORING_DATABASE_URL", f"sqlite:///{bare}")
    code, _, err = edf_run("outbox", "status")
    assert code == 1
    assert "scoring: its database is at no revision (empty or never migrated)" in err and "migrate it first" in err
    assert err.count("no database at") == 4
    assert edf_run("dlq", "list", "--service", "nope")[0] == 2
