"""Fixtures shared by every test layer.

- `nats_url`: a real JetStream server started from the virtualenv on a free port for the
  session (or `EDF_TEST_NATS_URL`).
- `database_url`: a fresh database per test, on SQLite and, when `EDF_TEST_POSTGRES_URL` is
  set, on PostgreSQL as well (the test runs once per backend).
- The tokens' key pair (tests/support/keys.py) is in the environment before any test runs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import keys
from tests.support.databases import fresh_database
from tests.support.natsd import NatsServer

keys.install()

POSTGRES_URL = os.environ.get("EDF_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", *(["postgres"] if POSTGRES_URL else [])]


@pytest.fixture(scope="session")
def nats_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    external = os.environ.get("EDF_TEST_NATS_URL")
    if external:
        yield external
        return
    server = NatsServer(tmp_path_factory.mktemp("nats"))
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(params=BACKENDS)
def db_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(db_backend: str, tmp_path: Path) -> Iterator[str]:
    with fresh_database(db_backend, tmp_path, POSTGRES_URL) as url:
        yield url


@pytest.fixture
def make_database_url(db_backend: str, tmp_path: Path) -> Iterator[object]:
    """For tests that need several fresh databases of the same backend (one per service)."""
    from contextlib import ExitStack

    with ExitStack() as stack:
        yield lambda: stack.enter_context(fresh_database(db_backend, tmp_path, POSTGRES_URL))


@pytest.fixture
def own_nats(tmp_path: Path) -> Iterator[NatsServer]:
    """A JetStream server of this test's own (its streams and durable consumers start empty)."""
    server = NatsServer(tmp_path / "nats")
    server.start()
    try:
        yield server
    finally:
        server.stop()
