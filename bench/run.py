"""`make bench`: every scenario on PostgreSQL in one command, with the yardsticks; writes
docs/benchmarks.md and docs/benchmarks.png.

PostgreSQL is a temporary cluster the bench starts (bench/postgres.py) unless
EDF_BENCH_POSTGRES_URL names a server. `--quick` is a small smoke run (seconds, not minutes) that
writes its report to a temporary directory unless `--report` says where.

The main stack runs with NATS's users and permissions, as shipped. `nats_auth` then starts a second
stack without them (`EDF_DEV_NATS_AUTH=off`) and sets its submits/s and approve → payment.instructed
p99 beside the main run's (bench/auth_cost.py): `--scenarios submissions,disbursement,nats_auth`
measures only that comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import (
    auth_cost,
    disbursement,
    indicators,
    jetstream,
    memory,
    pipeline,
    postgres,
    report,
    scoring,
    startup,
    submissions,
)
from bench.env import REPO, machine, postgres_databases
from bench.quiet import wait_quiet
from devstack.running import running_stack

REPORT = REPO / "docs" / "benchmarks.md"
# nats_auth: submits/s and approve → payment.instructed p99 again on a stack without NATS auth (bench/auth_cost.py)
SCENARIOS = ("submissions", "pipeline", "scoring", "disbursement", "indicators", "memory", "nats_auth", "startup")
QUICK = {
    "runs": 1,
    "count": 300,
    "scale": 0.5,
    "rate": 20.0,
    "rate_seconds": 1.0,
    "queue_applications": 500,
    "queue_requests": 30,
    "ranking_applications": 2000,
    "approvals": 60,
    "latency_samples": 20,
    "grants": 200,
    "indicator_requests": 5,
    "memory_applications": 0,
    "messages": 2000,
    "round_trips": 50,
}


def arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add = parser.add_argument
    add(
        "--scenarios",
        default=",".join(SCENARIOS),
        help="comma-separated, of: "
        + ", ".join(SCENARIOS)
        + " (the yardsticks always run); the others keep their last figures in the report",
    )
    add("--runs", type=int, default=3, help="timed runs of each scenario, after its warm-up (medians)")
    add("--quick", action="store_true", help="tiny sizes: a smoke run that the bench still works")
    add("--report", type=Path, help=f"where to write the report (default {REPORT.relative_to(REPO)})")
    add("--count", type=int, default=4000, help="submissions: applicants a round can use (plan size)")
    add("--scale", type=float, default=1.0, help="submissions and yardstick: multiplies the rounds' seconds")
    add("--rate", type=float, default=100.0, help="pipeline: submissions per second")
    add("--rate-seconds", type=float, default=10.0, help="pipeline: seconds of each run")
    add("--queue-applications", type=int, default=10_000, help="scoring: applications in the call")
    add("--queue-requests", type=int, default=500, help="scoring: queue pages per run")
    add("--ranking-applications", type=int, default=100_000, help="scoring: scored applications")
    add("--approvals", type=int, default=1000, help="disbursement: tranche approvals per run")
    add("--latency-samples", type=int, default=200, help="disbursement: sequential approvals per run")
    add("--grants", type=int, default=10_000, help="indicators: grants in the call")
    add("--indicator-requests", type=int, default=20, help="indicators: requests per run")
    add("--memory-applications", type=int, default=10_000, help="memory: applications submitted before measuring")
    add("--messages", type=int, default=50_000, help="JetStream yardstick: messages per publish run")
    add("--round-trips", type=int, default=1000, help="JetStream yardstick: round trips per run")
    args = parser.parse_args(argv)
    if args.quick:
        given = {a.lstrip("-").split("=")[0].replace("-", "_") for a in argv if a.startswith("--")}
        for name, value in QUICK.items():
            if name not in given:
                setattr(args, name, value)
    unknown = set(args.scenarios.split(",")) - set(SCENARIOS) - {""}
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    return args


def command(argv: list[str]) -> str:
    """The command as typed: `make bench …` when make ran it, else `python -m bench.run …`."""
    if os.environ.get("MAKELEVEL"):
        return "make bench" + (f" BENCH_ARGS={shlex.quote(' '.join(argv))}" if argv else "")
    return "python -m bench.run" + "".join(f" {shlex.quote(a)}" for a in argv)


def step(name: str, started: float) -> None:
    print(f"bench: {name} done at {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = arguments(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # the stack and PostgreSQL are stopped on the way out
    chosen = [s for s in SCENARIOS if s in args.scenarios.split(",")]
    target = args.report or (
        Path(tempfile.mkdtemp(prefix="edf-bench-quick-")) / "benchmarks.md" if args.quick else REPORT
    )
    started = time.perf_counter()
    meta: dict[str, Any] = {
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": command(argv),
        "machine": machine(),
        "runs": args.runs,
        "client": submissions.client_name(),
    }
    results = measure(args, chosen, meta, started)
    if "startup" in chosen:
        results["startup"] = startup.measure(args.runs)  # the main stack is stopped by now
        step("startup", started)
    stamp = {"when": meta["when"], "commit": meta["machine"]["commit"], "command": meta["command"]}
    for figures in results.values():
        figures["measured"] = stamp
    meta["duration_s"] = time.perf_counter() - started
    meta["load_average_end"] = round(os.getloadavg()[0], 2)
    print(json.dumps(results, indent=1, default=str))
    target.parent.mkdir(parents=True, exist_ok=True)
    report.write(target, results, meta)
    print(f"wrote {target} and {target.with_suffix('.png').name} in {meta['duration_s']:.0f} s", file=sys.stderr)
    return 0


def measure(args: argparse.Namespace, chosen: list[str], meta: dict[str, Any], started: float) -> dict[str, Any]:
    with postgres.server() as (server_url, what):
        meta["postgres"] = what
        results = measure_main(args, chosen, server_url, started)
        if "nats_auth" in chosen:  # the main stack has stopped: the one without auth has the machine to itself
            on = results.pop("nats_auth")
            results["nats_auth"] = auth_cost.measure(on, server_url, args, lambda name: step(name, started))
    return results


def measure_main(args: argparse.Namespace, chosen: list[str], server_url: str, started: float) -> dict[str, Any]:
    """Every scenario on the main stack (NATS with its users, as shipped); for `nats_auth` its
    figures with auth (results["nats_auth"], set beside those without by `measure`)."""
    results: dict[str, Any] = {}
    with (
        postgres_databases(server_url) as urls,
        tempfile.TemporaryDirectory(prefix="edf-bench-var-") as var_dir,
        running_stack(Path(var_dir), extra_env={**urls, **auth_cost.MAIN_STACK_ENV}, timeout=300) as stack,
    ):
        step("stack ready", started)
        results["yardstick_http"] = submissions.yardstick(args.runs, args.scale)
        results["yardstick_jetstream"] = jetstream.measure(stack.nats_url, args.runs, args.messages, args.round_trips)
        step("yardsticks", started)
        if "submissions" in chosen:
            results["submissions"] = submissions.measure(stack, args.count, args.runs, args.scale)
            step("submissions", started)
        if "pipeline" in chosen:
            wait_quiet(stack.nats_url)
            results["pipeline"] = pipeline.measure(stack, args.rate, args.rate_seconds, args.runs)
            step("pipeline", started)
        if "scoring" in chosen:
            wait_quiet(stack.nats_url)
            results["scoring"] = scoring.measure(
                stack,
                urls["SCORING_DATABASE_URL"],
                args.queue_applications,
                args.ranking_applications,
                args.runs,
                args.queue_requests,
            )
            step("scoring", started)
        if "disbursement" in chosen:
            wait_quiet(stack.nats_url)
            results["disbursement"] = disbursement.measure(
                stack, urls["DISBURSEMENT_DATABASE_URL"], args.approvals, args.runs, args.latency_samples
            )
            step("disbursement", started)
        if "indicators" in chosen:
            results["indicators"] = indicators.measure(
                stack, urls["MONITORING_DATABASE_URL"], args.grants, args.runs, args.indicator_requests
            )
            step("indicators", started)
        if "memory" in chosen:
            results["memory"] = memory.measure(stack, urls["APPLICATIONS_DATABASE_URL"], args.memory_applications)
            step("memory", started)
        if "nats_auth" in chosen:
            results["nats_auth"] = auth_cost.with_auth(stack, urls, args, results)
            step("nats_auth (the main stack, with NATS auth)", started)
    return results


if __name__ == "__main__":
    raise SystemExit(main())
