"""`python -m bench.profile`: where the submissions' CPU goes, process by process.

Starts the stack on PostgreSQL as `make bench` does, creates drafts, then submits them from wrk
while py-spy samples every service (`--gil`: only the thread holding the GIL, i.e. Python's CPU,
not waits). Writes each process's samples as collapsed stacks to var/profiles/<name>.txt (what
speedscope or flamegraph.pl draw) and prints, for each, the share of its samples under the
project's own functions and the libraries that cost most. `--phase create` profiles the
draft creations instead. Needs py-spy (a dev dependency) and ptrace rights (root, or
`kernel.yama.ptrace_scope` 0).
"""

from __future__ import annotations

import argparse
import collections
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import cpu, postgres, wrk
from bench.env import REPO, postgres_databases, stack_processes
from bench.quiet import wait_quiet
from bench.submissions import CONCURRENCY, answered_2xx, created_pairs, creates_plan, open_call, submits_plan
from devstack.running import Stack, running_stack

OUT = REPO / "var" / "profiles"
SERVICES = ("gateway", "applications", "scoring", "disbursement", "monitoring")


def spy(pid: int, seconds: float, path: Path) -> subprocess.Popen[bytes]:
    argv = [
        str(Path(sys.executable).parent / "py-spy"),
        "record",
        "--pid",
        str(pid),
        "--duration",
        str(int(seconds)),
        "--rate",
        "100",
        "--gil",
        "--nonblocking",
        "--format",
        "raw",
        "--output",
        str(path),
    ]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def summary(raw: Path, top: int = 12) -> list[str]:
    """Inclusive shares of the project's functions, then of the heaviest library modules."""
    ours: collections.Counter[str] = collections.Counter()
    libraries: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        total += int(count)
        frames = [re.sub(r":\d+\)$", ")", f) for f in stack.split(";")]
        for name in {f for f in frames if re.search(r"\((shared|services|gateway)/", f)}:
            ours[name] += int(count)
        for module in {m.group(1) for f in frames if (m := re.search(r"\(([a-z_]+)/", f))}:
            libraries[module] += int(count)
    lines = [f"    {total} samples"]
    lines += [f"    {n / total:6.1%}  {name}" for name, n in ours.most_common(top)] if total else []
    lines.append("    libraries: " + ", ".join(f"{m} {n / total:.0%}" for m, n in libraries.most_common(8) if total))
    return lines


def profile(stack: Stack, phase: str, seconds: float) -> None:
    people, creates = creates_plan(stack, open_call(stack), int(seconds * 400))
    pids = {name: pid for name, pid in stack_processes(stack.var_dir).items() if name in SERVICES}
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        captured = Path(tmp) / "created.txt"
        spies = _start(pids, phase == "create", seconds)
        before = cpu.snapshot(stack.var_dir)
        created = wrk.run(creates, CONCURRENCY, seconds, capture=captured)
        pairs = created_pairs(captured)
        _report("create", created, cpu.per_request_ms(before, cpu.snapshot(stack.var_dir), len(pairs)), spies)
        wait_quiet(stack.nats_url)
        submits = submits_plan(stack, pairs, people)
        spies = _start(pids, phase == "submit", seconds)
        before = cpu.snapshot(stack.var_dir)
        submitted = wrk.run(submits, CONCURRENCY, seconds)
        wait_quiet(stack.nats_url)
        answered = answered_2xx(submitted)
        _report("submit", submitted, cpu.per_request_ms(before, cpu.snapshot(stack.var_dir), answered), spies)


def _start(pids: dict[str, int], wanted: bool, seconds: float) -> dict[str, subprocess.Popen[bytes]]:
    return {name: spy(pid, seconds, OUT / f"{name}.txt") for name, pid in pids.items()} if wanted else {}


def _report(
    phase: str, result: dict[str, Any], cpu_ms: dict[str, float], spies: dict[str, subprocess.Popen[bytes]]
) -> None:
    print(f"{phase}: {result['per_second']:.0f}/s, p50 {result['p50_ms']:.0f} ms, p99 {result['p99_ms']:.0f} ms")
    print(
        f"  CPU ms per {phase}: "
        + ", ".join(f"{k} {v:.2f}" for k, v in cpu_ms.items())
        + f"; total {sum(cpu_ms.values()):.2f}"
    )
    for name, process in spies.items():
        process.wait(60)
        print(f"  {name} ({(OUT / f'{name}.txt').relative_to(REPO)})")
        print("\n".join(summary(OUT / f"{name}.txt")))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.profile", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--phase", choices=("submit", "create"), default="submit")
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args(argv)
    if not wrk.available():
        parser.error("wrk is needed (Debian's package wrk)")
    with (
        postgres.server() as (server_url, _),
        postgres_databases(server_url) as urls,
        tempfile.TemporaryDirectory(prefix="edf-profile-var-") as var_dir,
        running_stack(Path(var_dir), extra_env={**urls, "EDF_STACK_READY_TIMEOUT": "240"}, timeout=300) as stack,
    ):
        time.sleep(1)
        profile(stack, args.phase, args.seconds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
