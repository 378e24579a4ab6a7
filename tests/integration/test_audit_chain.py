"""The audit trail on real databases (SQLite, and PostgreSQL when EDF_TEST_POSTGRES_URL is set):
chained by the unit of work without forks under concurrent writers, chained by the migration
for rows written before it, and append-only."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import column, create_engine, insert, table, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from services.scoring.models import INFRA
from shared.audit import verify
from shared.db import Database, make_engine
from shared.migrate import upgrade
from shared.uow import Actor, UnitOfWork
from tests.conftest import POSTGRES_URL

pytestmark = pytest.mark.integration
APP = "scoring"


def database(url: str) -> Database:
    return Database(engine=make_engine(url), infra=INFRA, source="/edf/tests")


def audited_work(db: Database, n: int, actor: str = "tester") -> None:
    """One transaction as a handler makes it: a state change (here an inbox row), two audit rows."""
    with UnitOfWork(db, Actor(id=actor, role="admin"), correlation_id=f"c-{n}") as uow:
        uow.claim_inbox("tests", str(uuid.uuid4()), "edf.tests.work.v1")
        uow.audit("thing.made", "thing", n, after={"n": n})
        uow.audit("thing.checked", "thing", n, before={"n": n}, after={"n": n, "ok": True})
        uow.commit()


def check(url: str) -> tuple[bool, int, int | None]:
    engine = create_engine(url)
    with engine.connect() as connection:
        verdict = verify(connection, INFRA.audit, batch=7)  # a small batch: pages are walked too
    engine.dispose()
    return verdict.ok, verdict.rows, verdict.broken_seq


def test_concurrent_writers_never_fork_the_chain(database_url: str) -> None:
    upgrade(APP, database_url)
    writers, each = 6, 15
    # One engine per writer, as separate processes (replicas, the CLI) would have.
    dbs = [database(database_url) for _ in range(writers)]
    errors: list[BaseException] = []
    start = threading.Barrier(writers)

    def work(db: Database, w: int) -> None:
        try:
            start.wait()
            for n in range(each):
                audited_work(db, w * 1000 + n, actor=f"writer-{w}")
        except BaseException as exc:  # noqa: BLE001  (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(db, w)) for w, db in enumerate(dbs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    for db in dbs:
        db.engine.dispose()
    assert errors == []
    assert check(database_url) == (True, writers * each * 2, None)


def test_the_migration_chains_the_rows_written_before_it(database_url: str) -> None:
    upgrade(APP, database_url, "0002")
    engine = create_engine(database_url)
    old = [
        {
            "at": datetime(2026, 1, 1, 12, n, tzinfo=UTC),
            "actor_id": "a",
            "actor_role": "admin",
            "action": f"old.{n}",
            "entity_type": "call",
            "entity_id": str(n),
            "before": None,
            "after": {"n": n, "amount": "12.50"},
            "correlation_id": None,
        }
        for n in range(5)
    ]
    # The table as it was before the chain, written as the unit of work did then.
    before_chain = table(
        "audit_log",
        *(
            column(c.name, c.type)
            for c in INFRA.audit.columns
            if c.name not in ("seq", "prev_hash", "hash", "causation_id")
        ),
    )
    with engine.begin() as connection:
        connection.execute(insert(before_chain), old)
    engine.dispose()
    upgrade(APP, database_url)
    assert check(database_url) == (True, 5, None)
    db = database(database_url)
    audited_work(db, 1)
    db.engine.dispose()
    assert check(database_url) == (True, 7, None)


def test_audit_rows_can_be_neither_updated_nor_deleted(database_url: str) -> None:
    upgrade(APP, database_url)
    db = database(database_url)
    audited_work(db, 1)
    db.engine.dispose()
    engine = create_engine(database_url)
    statements = ["UPDATE audit_log SET action = 'rewritten'", "DELETE FROM audit_log WHERE seq = 2"]
    if make_url(database_url).get_backend_name() == "postgresql":
        statements.append("TRUNCATE audit_log")
    for statement in statements:
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(text(statement))
    engine.dispose()
    assert check(database_url) == (True, 2, None)


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES_URL, reason="needs EDF_TEST_POSTGRES_URL")
def test_the_apps_own_role_may_not_update_or_delete_audit_rows_even_without_the_triggers() -> None:
    """As in deploy/: the app's role owns its database and runs its migrations."""
    assert POSTGRES_URL is not None
    server = make_url(POSTGRES_URL).set(drivername="postgresql+psycopg")
    role = f"edf_test_role_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE ROLE "{role}" LOGIN'))
        connection.execute(text(f'CREATE DATABASE "{role}" OWNER "{role}"'))
    url = server.set(username=role, password=None, database=role).render_as_string(hide_password=False)
    try:
        upgrade(APP, url)
        db = database(url)
        audited_work(db, 1)
        db.engine.dispose()
        engine = create_engine(url)
        with engine.begin() as connection:  # the owner can drop the triggers…
            connection.execute(text("DROP TRIGGER audit_log_no_update_delete ON audit_log"))
            connection.execute(text("DROP TRIGGER audit_log_no_truncate ON audit_log"))
        for statement in ("UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log"):
            with pytest.raises(DBAPIError, match="permission denied"), engine.begin() as connection:
                connection.execute(text(statement))  # …but has no UPDATE, DELETE or TRUNCATE left
        with engine.begin() as connection:
            rows = connection.execute(text("SELECT count(*) FROM audit_log")).scalar_one()
        engine.dispose()
        assert rows == 2
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{role}" WITH (FORCE)'))
            connection.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        admin.dispose()
