"""The `edf` commands that only read never migrate: against empty databases, and against databases
one migration behind, they exit 1, say which database is at which revision and what to do, and
leave every schema as it was. SQLite, and PostgreSQL when EDF_TEST_POSTGRES_URL is set."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from typer.testing import CliRunner

from cli.main import app as edf
from shared.migrate import APPS, alembic_config, head_revisions, upgrade

READ_ONLY = (
    ("calls", "list"),
    ("applications", "show", "EDF-NOPE-000001"),
    ("audit", "verify"),
    ("dlq", "list"),
    ("outbox", "status"),
)
runner = CliRunner()


def schema_of(url: str) -> tuple[list[str], list[str]]:
    """(the database's tables, the revisions in its alembic_version table)."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            tables = sorted(inspect(connection).get_table_names())
            versions: list[str] = []
            if "alembic_version" in tables:
                versions = sorted(connection.execute(text("SELECT version_num FROM alembic_version")).scalars())
    finally:
        engine.dispose()
    return tables, versions


def one_behind_head(app: str) -> str:
    script = ScriptDirectory.from_config(alembic_config(app, ""))
    (head,) = head_revisions(app)
    previous = script.get_revision(head).down_revision
    assert isinstance(previous, str), f"{app}: its head has no single previous revision"
    return previous


@pytest.fixture
def databases(make_database_url: Callable[[], str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A fresh, existing and empty database for every app, named in its <APP>_DATABASE_URL."""
    urls = {name: make_database_url() for name in APPS}
    for name, url in urls.items():
        create_engine(url).connect().close()  # SQLite: the file exists (an empty database)
        monkeypatch.setenv(f"{name.upper()}_DATABASE_URL", url)
    return urls


def run_each_read_only_command(urls: dict[str, str]) -> None:
    before = {name: schema_of(url) for name, url in urls.items()}
    for command in READ_ONLY:
        result = runner.invoke(edf, list(command))
        assert result.exit_code == 1, (command, result.output)
        assert "migrate it first" in result.output, (command, result.output)
        assert {name: schema_of(url) for name, url in urls.items()} == before, command


def test_read_only_commands_refuse_an_empty_database_and_create_nothing(databases: dict[str, str]) -> None:
    run_each_read_only_command(databases)
    assert all(schema_of(url) == ([], []) for url in databases.values())
    listed = runner.invoke(edf, ["calls", "list"])
    assert "applications: its database is at no revision (empty or never migrated)" in listed.output


def test_read_only_commands_refuse_a_database_one_migration_behind(databases: dict[str, str]) -> None:
    behind = {name: one_behind_head(name) for name in databases}
    for name, url in databases.items():
        upgrade(name, url, behind[name])
    run_each_read_only_command(databases)
    assert {name: schema_of(url)[1] for name, url in databases.items()} == {n: [r] for n, r in behind.items()}
    listed = runner.invoke(edf, ["outbox", "status"])
    (head,) = head_revisions("scoring")
    assert f"scoring: its database is at revision {behind['scoring']}, this edf expects {head}" in listed.output


def test_the_write_command_migrates_and_the_read_only_ones_then_answer(databases: dict[str, str]) -> None:
    args = ["users", "create", "--email", "o@edf.example", "--role", "officer", "--full-name", "O"]
    created = runner.invoke(edf, [*args, "--password", "a-long-password"])
    assert created.exit_code == 0, created.output
    assert schema_of(databases["gateway"])[1] == sorted(head_revisions("gateway"))
    for name, url in databases.items():
        if name != "gateway":
            upgrade(name, url)
    for command in READ_ONLY:
        result = runner.invoke(edf, list(command))
        assert "migrate it first" not in result.output, (command, result.output)
    assert runner.invoke(edf, ["audit", "verify"]).exit_code == 0
