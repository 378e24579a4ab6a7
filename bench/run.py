"""`make bench`: runs the scenarios on PostgreSQL and writes docs/benchmarks.md."""

from __future__ import annotations

import argparse
import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import submissions
from bench.env import machine, postgres_databases
from tests.support.stack import running_stack

REPORT = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"


def table(results: dict[str, dict[str, Any]]) -> str:
    yard = results["yardstick: bare FastAPI POST"]["per_second"]
    rows = ["| scenario | requests × runs | per second (median) | p50 ms | p99 ms | vs yardstick | non-2xx |",
            "|---|---|---|---|---|---|---|"]
    for name, r in results.items():
        rows.append(f"| {name} | {r['requests']} × {r['runs']} | {r['per_second']:.0f} | {r['p50_ms']:.1f} | "
                    f"{r['p99_ms']:.1f} | {r['per_second'] / yard:.2f} | {r['non_2xx']} |")
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=2000, help="requests per run and scenario")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with postgres_databases() as urls, tempfile.TemporaryDirectory() as var_dir, \
            running_stack(Path(var_dir), extra_env=urls) as stack:
        results = submissions.measure(stack, args.count, args.runs)
    print(json.dumps(results, indent=2))
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    REPORT.write_text(REPORT_TEMPLATE.format(when=when, machine=machine(), count=args.count, runs=args.runs,
                                             table=table(results)), encoding="utf-8")
    print(f"wrote {REPORT}")
    return 0


REPORT_TEMPLATE = """# Benchmarks

Measured {when} on {machine}, with `make bench` (`python -m bench.run --count {count} --runs {runs}`).

The stack runs as `make run` starts it (one process per app, uvicorn, one worker each) on
PostgreSQL (a fresh database per app on `EDF_BENCH_POSTGRES_URL`, default this machine's
server). The load comes from a separate process (`bench/load.py`: async httpx, 64 concurrent
connections). Each scenario has a warm-up round first; figures are the medians of the runs.
Synthetic applicants carry tokens signed like the gateway's (sign-up's Argon2 is not part of
a submission). A *submit* is `POST /api/v1/applications/{{id}}/submit` through the gateway;
drafts are created in the round before it, with a complete application body.

{table}

The yardstick is a bare FastAPI `POST` validating a body of the same shape with pydantic, in
one uvicorn process, loaded the same way: what this machine does with no gateway hop, no
database and no events.
"""


if __name__ == "__main__":
    raise SystemExit(main())
