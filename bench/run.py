"""`make bench`: runs the scenarios on PostgreSQL and writes docs/benchmarks.md."""

from __future__ import annotations

import argparse
import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import disbursement, scoring, submissions
from bench.env import machine, postgres_databases
from tests.support.stack import running_stack

REPORT = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
SCENARIOS = ("submissions", "scoring", "disbursement")


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
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help="comma-separated: " + ", ".join(SCENARIOS))
    parser.add_argument("--queue-applications", type=int, default=10_000, help="scoring: applications in the call")
    parser.add_argument("--ranking-applications", type=int, default=100_000, help="scoring: scored applications")
    parser.add_argument("--approvals", type=int, default=1000, help="disbursement: tranche approvals per run")
    args = parser.parse_args()
    chosen = {s.strip() for s in args.scenarios.split(",") if s.strip()}
    results: dict[str, dict[str, Any]] = {}
    scored: dict[str, dict[str, Any]] = {}
    released: dict[str, dict[str, Any]] = {}
    with postgres_databases() as urls, tempfile.TemporaryDirectory() as var_dir, \
            running_stack(Path(var_dir), extra_env=urls) as stack:
        if "submissions" in chosen:
            results = submissions.measure(stack, args.count, args.runs)
        if "scoring" in chosen:
            scored = scoring.measure(stack, urls["SCORING_DATABASE_URL"], args.queue_applications,
                                     args.ranking_applications, args.runs)
        if "disbursement" in chosen:
            released = disbursement.measure(stack, urls["DISBURSEMENT_DATABASE_URL"], args.approvals, args.runs)
    print(json.dumps({**results, **scored, **released}, indent=2))
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    kept = earlier_sections()  # a scenario not run this time keeps its section from the last run
    measured = MEASURED.format(when=when, machine=machine(), count=args.count, runs=args.runs)
    sections = [REPORT_HEADER,
                SUBMISSIONS_TEMPLATE.format(table=table(results), measured=measured.format(scenario="submissions"),
                                            create_seconds=submissions.CREATE_SECONDS,
                                            submit_seconds=submissions.SUBMIT_SECONDS)
                if results else kept.get("Submissions", ""),
                scoring_section(scored, measured.format(scenario="scoring")) if scored else kept.get("Scoring", ""),
                disbursement.section(released, measured.format(scenario="disbursement")) if released
                else kept.get("Disbursement", "")]
    REPORT.write_text("\n".join(s for s in sections if s), encoding="utf-8")
    print(f"wrote {REPORT}")
    return 0


def earlier_sections() -> dict[str, str]:
    """The report's `## ` sections by their first word, as the last run wrote them."""
    if not REPORT.exists():
        return {}
    parts = REPORT.read_text(encoding="utf-8").split("\n## ")[1:]
    return {part.split()[0]: "\n## " + part.rstrip("\n") + "\n" for part in parts}


def scoring_section(scored: dict[str, dict[str, Any]], measured: str) -> str:
    queue, ranking = scored["queue"], scored["ranking"]
    non_2xx = sum(n for s, n in queue["statuses"].items() if not str(s).startswith("2"))
    size = f"{ranking['applications']} scored applications"
    median = f"median of {ranking['runs']}"
    rows = [
        "| scenario | size | figure | target (DESIGN.md) |",
        "|---|---|---|---|",
        f"| reviewer queue page, 50 items | {queue['applications']} applications, {queue['officers']} officers, "
        f"{queue['requests']} requests | p50 {queue['p50_ms']:.1f} ms, p99 {queue['p99_ms']:.1f} ms, "
        f"{non_2xx} non-2xx | p99 ≤ 20 ms |",
        f"| ranking, first page of 50 | {size} | {ranking['ranking_first_page_s'] * 1000:.1f} ms ({median}) | |",
        f"| ranking, a page half-way down (cursor) | {size} | "
        f"{ranking['ranking_middle_page_s'] * 1000:.1f} ms ({median}) | |",
        f"| selection proposal ({ranking['proposed']} proposed) | {size} | "
        f"{ranking['selection_s']:.2f} s ({median}) | |",
        f"| ranking + selection | {size} | {ranking['ranking_and_selection_s']:.2f} s | ≤ 2 s |",
    ]
    return SCORING_TEMPLATE.format(seed=ranking["seed_s"], table="\n".join(rows), measured=measured)


REPORT_HEADER = """# Benchmarks

`make bench` (`python -m bench.run`; `--scenarios` runs some of them, the others keep their
last figures here). The stack runs as `make run` starts it (one process per app, uvicorn, one
worker each) on PostgreSQL (a fresh database per app on `EDF_BENCH_POSTGRES_URL`, default this
machine's server).
"""

MEASURED = ("Measured {when} on {machine} (`python -m bench.run --scenarios {{scenario}} --count {count} "
            "--runs {runs}`).")

SUBMISSIONS_TEMPLATE = """
## Submissions

{measured}

The load comes from a separate process: `wrk` (Debian's package; `make bench` installs it
when it can) with 64 connections, each request with its own applicant token and body, or
`bench/load.py` (async httpx) where wrk is missing. A round creates drafts for
{create_seconds:.0f} s (a complete application body each, for a new applicant each), then
submits the drafts it created for {submit_seconds:.0f} s; a warm-up round comes first, and the
figures are the medians of the rounds. Synthetic applicants carry tokens signed like the
gateway's (sign-up's Argon2 is not part of a submission). A *submit* is
`POST /api/v1/applications/{{id}}/submit` through the gateway.

{table}

The yardstick is a bare FastAPI `POST` validating a body of the same shape with pydantic, in
one uvicorn process, loaded the same way: what this machine does with no gateway hop, no
database and no events.

**Where the time goes** (probes with wrk on the same stack, 2026-11-28): `/healthz` of a
service answers ~4,300/s; `GET /api/v1/calls/{id}` straight to the applications service
~390/s (a sync route: thread pool, ORM session, one read, the call validated into its API
model) but ~140/s through the gateway, whose streaming proxy over httpx costs about as much
CPU again as the service; creating drafts straight to the service gives ~138/s at 8
connections and ~96/s at 64 (thread-pool and GIL contention). On top of that every submit
fans out to five consumers (screening, scoring's copy, screening result and assignment,
disbursement's and monitoring's copies) on the same two cores as PostgreSQL and the load
generator. The 500/s target needs: a lighter gateway hop, async routes and an async engine on
the hot paths, several uvicorn workers per service, and Core statements for outbox and audit
rows (issue #8).
"""

SCORING_TEMPLATE = """
## Scoring (`bench/scoring.py`)

{measured}

Data seeded straight into scoring's database with bulk inserts ({seed:.0f} s), shaped as the
service writes it. Requests go through the gateway one at a time (latency, not throughput):
the queue page is `GET /api/v1/reviews?status=pending&limit=50` as one of 20 officers with
1,000 pending reviews each; the selection proposal reads the whole ranking of the call.

{table}
"""


if __name__ == "__main__":
    raise SystemExit(main())
