"""`make bench` cannot rot: the quick bench runs end to end (every scenario, tiny sizes, its own
temporary PostgreSQL and stack) and writes a report that keeps the hand-written analysis; the
report generator keeps the figures of scenarios a partial run did not measure."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench import report, report_auth, wrk
from bench.run import SCENARIOS
from devstack.pgcluster import PostgresUnavailable, postgres_bin

REPO = Path(__file__).resolve().parents[2]
ANALYSIS = "## Where the time goes\n\nWritten by hand: the bench keeps it."


META: dict[str, Any] = {
    "when": "2026-01-01 00:00 UTC",
    "command": "python -m bench.run",
    "runs": 3,
    "client": "wrk",
    "postgres": "a temporary cluster",
    "duration_s": 60.0,
    "machine": {
        "cpu": "Test CPU",
        "cores": 2,
        "memory_mib": 1024,
        "python": "3.11",
        "load_average": 0.1,
        "commit": "abc",
    },
}


def _report_with_analysis(path: Path) -> None:
    path.write_text(
        f"# Benchmarks\n\nold figures\n\n{report.ANALYSIS_START}\n{ANALYSIS}\n{report.ANALYSIS_END}\n", encoding="utf-8"
    )


def test_the_report_keeps_the_analysis_and_the_figures_a_run_did_not_measure(tmp_path: Path) -> None:
    target = tmp_path / "benchmarks.md"
    _report_with_analysis(target)
    meta = META
    earlier = {
        "startup": {
            "fresh_s": 5.0,
            "again_s": 3.0,
            "runs": 3,
            "measured": {"when": "2025-12-31 00:00 UTC", "commit": "old", "command": "make bench"},
        }
    }
    report.write(target, earlier, {**meta, "when": "2025-12-31 00:00 UTC"})
    now = {
        "yardstick_http": {
            "loaded": {"per_second": 2000.0, "p50_ms": 20.0, "p99_ms": 60.0, "runs": 3, "requests": 1000, "non_2xx": 0},
            "one_connection": {
                "per_second": 900.0,
                "p50_ms": 1.0,
                "p99_ms": 2.0,
                "runs": 3,
                "requests": 1000,
                "non_2xx": 0,
            },
            "rss_mib": {"value": 50.0},
            "measured": {"when": meta["when"], "commit": "abc", "command": "python -m bench.run"},
        }
    }
    report.write(target, now, meta)

    document = target.read_text(encoding="utf-8")
    assert document.count(ANALYSIS) == 1
    assert "| `make run` ready (new var dir) | median of 3 | **5.0 s** | ≤ 15 s | pass |" in document
    assert "2,000/s" in document and "startup (2025-12-31 00:00 UTC, commit old)" in document
    assert "python -m bench.run" in document and "Test CPU, 2 cores" in document
    assert (tmp_path / "benchmarks.png").stat().st_size > 1000
    kept, analysis = report.earlier(target)
    assert analysis == ANALYSIS and set(kept["scenarios"]) == {"startup", "yardstick_http"}


def _auth_figures(submits: tuple[float, float], p99s: tuple[float, float]) -> dict[str, Any]:
    """The nats_auth scenario's figures: (with auth, without) of submits/s and of the p99."""

    def mode(per_second: float, p99: float) -> dict[str, Any]:
        return {
            "submit": {"per_second": per_second, "p50_ms": 90.0, "p99_ms": 300.0, "runs": 3, "requests": 900},
            "instructed_latency": {"samples": 200, "runs": 3, "p50_ms": 9.0, "p99_ms": p99},
        }

    return {
        "with_auth": {**mode(submits[0], p99s[0]), "from": ["submissions scenario", "disbursement scenario"]},
        "without_auth": {**mode(submits[1], p99s[1]), "from": []},
        "runs": 3,
        "concurrency": 64,
        "latency_samples": 200,
    }


def test_the_report_sets_the_figures_with_and_without_nats_auth_beside_each_other(tmp_path: Path) -> None:
    passing = report.table(report.rows({"nats_auth": _auth_figures((95.0, 100.0), (16.5, 15.0))}))
    assert (
        "| application submits: NATS auth on vs off | 64 connections, 3 rounds each "
        "| with auth **95/s**, without 100/s: 5.0 % slower with auth | ≤ 10 % slower with auth | pass |"
    ) in passing
    assert (
        "| approve → `payment.instructed` p99: NATS auth on vs off | 200 sequential approvals × 3 runs each "
        "| with auth **p99 16.5 ms** (p50 9.0 ms), without p99 15.0 ms (p50 9.0 ms): 10.0 % slower with auth "
        "| ≤ 10 % slower with auth | pass |"
    ) in passing
    missed = report.rows({"nats_auth": _auth_figures((80.0, 100.0), (12.0, 15.0))})
    assert [(r.meets, r.value) for r in missed] == [(False, "20.0 % slower"), (True, "20.0 % faster")]
    assert "| **miss** |" in report.table(missed)
    assert missed[0].share_of_target == pytest.approx(80 * 1.1 / 100)
    assert missed[1].share_of_target == pytest.approx(15 * 1.1 / 12)
    none = report.rows({"nats_auth": _auth_figures((0.0, 100.0), (16.0, 15.0))})[0]  # no submit answered in time
    assert none.meets is None and none.share_of_target is None and "no comparison" in none.result

    target = tmp_path / "benchmarks.md"
    _report_with_analysis(target)
    stamp = {"when": META["when"], "commit": "abc", "command": "python -m bench.run"}
    report.write(target, {"nats_auth": {**_auth_figures((95.0, 100.0), (16.5, 15.0)), "measured": stamp}}, META)
    document = target.read_text(encoding="utf-8")
    assert "**NATS authorization's cost** (`bench/auth_cost.py`)" in document
    assert "those of this run's submissions and disbursement scenarios" in document
    assert "EDF_DEV_NATS_AUTH=off" in document
    assert document.count(ANALYSIS) == 1 and report_auth.TARGET in document


def _bench_env() -> dict[str, str]:
    env = dict(os.environ)
    try:
        postgres_bin()
    except PostgresUnavailable:
        if not env.get("EDF_BENCH_POSTGRES_URL"):
            if not env.get("EDF_TEST_POSTGRES_URL"):
                pytest.skip("no PostgreSQL server binaries and no EDF_BENCH_POSTGRES_URL")
            env["EDF_BENCH_POSTGRES_URL"] = env["EDF_TEST_POSTGRES_URL"]
    return env


@pytest.mark.e2e
@pytest.mark.slow
@pytest.mark.timeout(900)  # about a minute on an idle machine; ten under a load average of 50
def test_the_quick_bench_runs_every_scenario_end_to_end(tmp_path: Path) -> None:
    env = _bench_env()
    target = tmp_path / "benchmarks.md"
    _report_with_analysis(target)

    done = subprocess.run(
        [sys.executable, "-m", "bench.run", "--quick", "--report", str(target)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=870,
    )

    assert done.returncode == 0, done.stderr[-4000:]
    kept, analysis = report.earlier(target)
    assert analysis == ANALYSIS
    assert set(kept["scenarios"]) == {*SCENARIOS, "yardstick_http", "yardstick_jetstream"}
    figures = kept["scenarios"]
    assert figures["submissions"]["create"]["per_second"] > 0  # (a busy machine may answer no submit in time)
    assert {"gateway", "applications", "postgres"} <= set(figures["submissions"]["create"]["cpu_ms"])
    assert figures["pipeline"]["missing"] == 0 and figures["pipeline"]["assigned"]["p99_ms"] > 0
    assert figures["pipeline"]["idle"]["missing"] == 0
    assert set(figures["memory"]["rss_mib"]) >= {*report.SERVICES, "nats-server"}
    assert figures["yardstick_jetstream"]["publish"]["per_second"] > 0
    auth = figures["nats_auth"]  # the main run's figures with NATS auth, a second stack's without
    assert auth["with_auth"]["from"] == ["submissions scenario", "disbursement scenario"]
    assert auth["with_auth"]["instructed_latency"] == figures["disbursement"]["instructed_latency"]
    assert auth["without_auth"]["instructed_latency"]["p99_ms"] > 0
    assert auth["without_auth"]["submit"]["requests"] > 0
    document = target.read_text(encoding="utf-8")
    assert "![Each figure as a share of its target](benchmarks.png)" in document
    assert "## CPU per request, by process" in document
    assert "| application submits: NATS auth on vs off |" in document
    assert "| approve → `payment.instructed` p99: NATS auth on vs off |" in document
    assert "**NATS authorization's cost**" in document
    assert (tmp_path / "benchmarks.png").exists()
    json.dumps(figures)  # the kept results are plain JSON


@pytest.mark.e2e
@pytest.mark.slow
@pytest.mark.timeout(600)
def test_the_profiler_samples_every_service_under_the_submissions_load() -> None:
    if not wrk.available():
        pytest.skip("wrk is not installed (Debian's package wrk)")
    done = subprocess.run(
        [sys.executable, "-m", "bench.profile", "--seconds", "3"],
        cwd=REPO,
        env=_bench_env(),
        capture_output=True,
        text=True,
        timeout=570,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    assert "CPU ms per submit:" in done.stdout and "CPU ms per create:" in done.stdout
    for name in report.SERVICES:
        assert f"  {name} (var/profiles/{name}.txt)" in done.stdout, done.stdout
        assert (REPO / "var" / "profiles" / f"{name}.txt").stat().st_size > 0
    assert "submit_application (services/applications/api/applications.py)" in done.stdout
