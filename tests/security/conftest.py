"""One running stack for the security tests that need the whole system, seeded once per
database backend (SQLite, and PostgreSQL when EDF_TEST_POSTGRES_URL is set)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import BACKENDS, POSTGRES_URL
from tests.security.seed import Seeded, Seeder
from tests.support.stack import running_stack, stack_databases


@pytest.fixture(scope="session", params=BACKENDS)
def seeded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    """The stack as processes, with the objects of `tests/security/seed.py`."""
    tmp = tmp_path_factory.mktemp(f"security-{request.param}")
    with (
        stack_databases(request.param, tmp, POSTGRES_URL) as env,
        running_stack(tmp, extra_env={**env, "EDF_STACK_READY_TIMEOUT": "200"}, timeout=240) as stack,
        httpx.Client(base_url=stack.gateway, timeout=60) as client,
    ):
        yield Seeder(stack, client).run()
