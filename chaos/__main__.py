"""`python -m chaos [options]` (what `make chaos` runs): see `--help`."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from chaos.faults import FaultPlan
from chaos.run import Options, run
from chaos.workload import Plan


def _shown(argv: list[str]) -> list[str]:
    """The arguments that shape the run, for the report (not where its files go)."""
    shown, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg in ("--report", "--workdir"):
            skip = True
        elif arg != "--keep" and not arg.startswith(("--report=", "--workdir=")):
            shown.append(arg)
    return shown


def parse(argv: list[str]) -> Options:
    parser = argparse.ArgumentParser(prog="python -m chaos", description=__doc__)
    parser.add_argument("--applicants", type=int, default=300, help="applicants who sign up and submit (300)")
    parser.add_argument("--officers", type=int, default=4, help="officers who score (4)")
    parser.add_argument(
        "--kill-every",
        type=float,
        default=5.0,
        help="seconds between SIGKILLs of a random process, ± a third (5; 0: none)",
    )
    parser.add_argument("--nats-restart-at", type=float, default=40.0, help="seconds into the workload (40)")
    parser.add_argument("--postgres-restart-at", type=float, default=90.0, help="seconds into the workload (90)")
    parser.add_argument("--down", type=float, default=3.0, help="seconds NATS and PostgreSQL stay down (3)")
    parser.add_argument(
        "--fail-every",
        type=int,
        default=10,
        help="the finance consumer fails every Nth payment, which is then requested again (10)",
    )
    parser.add_argument("--timeout", type=float, default=1800.0, help="the lifecycle must complete within (1800 s)")
    parser.add_argument("--drain-timeout", type=float, default=180.0, help="seconds to drain after the faults (180)")
    parser.add_argument(
        "--request-deadline",
        type=float,
        default=180.0,
        help="a request still failing (5xx, no connection) after this many seconds fails the run",
    )
    parser.add_argument("--seed", type=int, default=7, help="of the fault schedule (7)")
    parser.add_argument("--workdir", type=Path, help="the run's folder (default: a new temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the run's folder (always kept when it fails)")
    parser.add_argument("--report", type=Path, help="write the figures into this page (docs/reliability.md)")
    parser.add_argument("--log-level", default="INFO", help="of the services, in logs/ (INFO)")
    parser.add_argument(
        "--nats",
        choices=["single", "cluster"],
        default="single",
        help="cluster: three NATS nodes, streams with 3 replicas, nodes among the SIGKILLed (single)",
    )
    parser.add_argument(
        "--replicas",
        type=int,
        choices=[1, 2, 3],
        help="processes of every service and of the gateway (default: 2 on a cluster, otherwise 1)",
    )
    args = parser.parse_args(argv)
    shown = " ".join(shlex.quote(a) for a in _shown(argv))
    return Options(
        plan=Plan(applicants=args.applicants, officers=args.officers, timeout=args.timeout),
        faults=FaultPlan(
            kill_every=args.kill_every,
            nats_restart_at=args.nats_restart_at,
            postgres_restart_at=args.postgres_restart_at,
            down_seconds=args.down,
            seed=args.seed,
        ),
        fail_every=args.fail_every,
        drain_timeout=args.drain_timeout,
        request_deadline=args.request_deadline,
        workdir=args.workdir,
        keep=args.keep,
        report=args.report,
        command=f"make chaos{' CHAOS_ARGS=' + shlex.quote(shown) if shown else ''}",
        log_level=args.log_level,
        nats=args.nats,
        replicas=args.replicas or (2 if args.nats == "cluster" else 1),
    )


if __name__ == "__main__":
    sys.exit(run(parse(sys.argv[1:])))
