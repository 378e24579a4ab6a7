"""`make chaos` in small, run by `make test`: 80 applicants through the whole lifecycle on a
PostgreSQL cluster and a NATS server of the run's own, while a random process is SIGKILLed
every few seconds, NATS is SIGKILLed and started again once and PostgreSQL restarted once; the
run's own checks (from the databases and the streams) must find nothing lost and nothing
duplicated. (30 applicants were enough while events took up to a second per hop; now their
lifecycle is over in ~15 s, before three kills come.)"""

from __future__ import annotations

import os
import pwd
import re
import subprocess
import sys
from pathlib import Path

import pytest

from devstack.pgcluster import PostgresUnavailable, postgres_bin
from tests.support.apps import REPO

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(1200)]

SMALL = [
    "--applicants",
    "80",
    "--officers",
    "2",
    "--kill-every",
    "3",
    "--nats-restart-at",
    "6",
    "--postgres-restart-at",
    "15",
    "--timeout",
    "900",
    "--drain-timeout",
    "180",
]


def figure(output: str, name: str) -> str:
    found = re.search(rf"^  {re.escape(name)}\s+(.+)$", output, re.MULTILINE)
    assert found, f"no figure {name!r} in the output"
    return found.group(1).strip()


def test_a_small_chaos_run_loses_no_event_and_duplicates_no_effect(tmp_path: Path) -> None:
    try:
        postgres_bin()
        if os.geteuid() == 0:
            pwd.getpwnam("postgres")
    except (PostgresUnavailable, KeyError) as exc:
        pytest.skip(f"no PostgreSQL of its own can be started here: {exc}")
    run = subprocess.run(
        [sys.executable, "-m", "chaos", *SMALL, "--workdir", str(tmp_path / "run")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=1150,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-8000:]
    assert "FAIL" not in output, output[-8000:]
    assert (figure(output, "lost"), figure(output, "duplicated effects")) == ("0", "0")
    assert int(figure(output, "kills (SIGKILL)")) >= 3, output[-4000:]
    assert (figure(output, "NATS restarts"), figure(output, "PostgreSQL restarts")) == ("1", "1")
    assert int(figure(output, "applications submitted")) == 80
