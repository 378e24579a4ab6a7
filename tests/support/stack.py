"""The whole stack as processes for the tests (kept in devstack.running: the bench uses it too),
and the tests' own variants of it: a patient start and fresh databases per app."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from devstack.running import ADMIN_EMAIL, ADMIN_PASSWORD, Stack, running_stack

__all__ = ["ADMIN_EMAIL", "ADMIN_PASSWORD", "PATIENT", "Stack", "running_stack", "stack_databases"]

# For a stack on a loaded machine (CI, several test runs at once): wait up to 5 minutes for it.
PATIENT = {"EDF_STACK_READY_TIMEOUT": "300"}


@contextmanager
def stack_databases(backend: str, tmp_dir: Path, postgres_url: str | None) -> Iterator[dict[str, str]]:
    """`extra_env` for running_stack: every app on a fresh database of `backend` ("sqlite": the
    stack's own files in its var dir; "postgres": one new database per app on `postgres_url`,
    dropped afterwards)."""
    from contextlib import ExitStack

    from tests.support.databases import fresh_database

    if backend == "sqlite":
        yield {}
        return
    with ExitStack() as databases:
        yield {
            f"{app.upper()}_DATABASE_URL": databases.enter_context(fresh_database(backend, tmp_dir, postgres_url))
            for app in ("gateway", "applications", "scoring", "disbursement", "monitoring")
        }
