"""The prose of docs/benchmarks.md: its header (the run, the machine, the command) and how each
figure is measured. The figures themselves are in bench/report.py's table."""

from __future__ import annotations

from typing import Any

from bench import report_auth


def header(meta: dict[str, Any], scenarios: dict[str, Any]) -> str:
    m = meta["machine"]
    older = sorted(
        {
            f"{name} ({s['measured']['when']}, commit {s['measured']['commit']})"
            for name, s in scenarios.items()
            if s.get("measured", {}).get("when") != meta["when"]
        }
    )
    kept = f"\nNot run this time, so from an earlier run: {', '.join(older)}.\n" if older else ""
    busy = (
        " **Other work kept the machine busy: the figures are lower than it can do.**"
        if max(m["load_average"], meta.get("load_average_end", 0)) > m["cores"]
        else ""
    )
    return f"""# Benchmarks

Measured {meta["when"]} with

    {meta["command"]}

on {m["cpu"]}, {m["cores"]} cores, {m["memory_mib"]:,} MiB, Python {m["python"]}, commit {m["commit"]}.
Load average {m["load_average"]} when it started and {meta.get("load_average_end", "?")} at the end.{busy} Everything
shares these cores: the stack, PostgreSQL, NATS and the load generators. PostgreSQL: {meta["postgres"]}.
Load client: {meta["client"]}, a separate process. Figures are medians of {meta["runs"]} runs, each
scenario after a warm-up; the run took {meta["duration_s"] / 60:.0f} min.
{kept}
The stack runs as `make run` starts it (`python -m devstack run`: one process per app, uvicorn,
one worker each, a nats-server with JetStream and the shipped NATS users, each app its own) with a
fresh database per app on that PostgreSQL.
The yardsticks run in the same bench on the same machine: every figure is also given as a ratio to
what the machine does with no gateway hop, no database and no events.
"""


CPU_PARTS = ("gateway", "applications", "scoring", "disbursement", "monitoring", "nats-server", "postgres")


def cpu_table(scenarios: dict[str, Any], target_per_second: float) -> str:
    """Where a request's CPU goes, by process, and the cores the target rate would need at that cost."""
    sub = scenarios.get("submissions", {})
    measured = {name: sub[name]["cpu_ms"] for name in ("create", "submit") if "cpu_ms" in sub.get(name, {})}
    if not measured:
        return ""
    lines = [
        "## CPU per request, by process\n",
        "CPU time (user + system, from /proc) each process spent during the submissions scenario's rounds,",
        "divided by the requests answered 2xx (medians of the rounds). A *submit* includes everything it",
        "sets off: the submit is counted until every consumer of every stream has caught up.\n",
        "| request | " + " | ".join(CPU_PARTS) + " | total | cores for 500/s at this cost |",
        "|---" * (len(CPU_PARTS) + 3) + "|",
    ]
    for name, parts in measured.items():
        total = sum(parts.get(p, 0.0) for p in CPU_PARTS)
        cells = " | ".join(f"{parts.get(p, 0.0):.2f}" for p in CPU_PARTS)
        lines.append(f"| {name} | {cells} | **{total:.2f} ms** | {total * target_per_second / 1000:.1f} |")
    return "\n".join(lines) + "\n"


def details(scenarios: dict[str, Any]) -> str:
    parts = ["## How each figure is measured\n"]
    if sub := scenarios.get("submissions"):
        parts.append(f"""**Submissions** (`bench/submissions.py`). Load from {sub["client"]} with {sub["concurrency"]}
connections, each request with its own applicant token and body. A round creates drafts for
{sub["create_seconds"]:.0f} s (a complete application body each, a new applicant each), then submits the drafts
it created for {sub["submit_seconds"]:.0f} s; a warm-up round comes first. Synthetic applicants carry tokens signed
like the gateway's (sign-up's Argon2 is not part of a submission). A *submit* is
`POST /api/v1/applications/{{id}}/submit` through the gateway.
""")
    if pipe := scenarios.get("pipeline"):
        parts.append(f"""**Submit → screened → in a reviewer's queue** (`bench/pipeline.py`, `bench/paced.py`). Drafts
made beforehand; a separate process (async httpx) submits them open loop at {pipe["rate"]:.0f}/s, each at its
planned moment whatever the earlier ones are doing, and listens on NATS. Each submit is timed from
when it is sent to the `edf.scoring.application.assigned.v1` event reaching that process: scoring
commits the reviews (from then on they are in the officers' queues) and its outbox relay publishes
the event afterwards, so the figure is an upper bound of "in the queue". The way there: the submit,
`application.submitted` to applications' screening, `application.screened` to scoring, which assigns
two of {pipe["officers"]} officers (created through the gateway, so scoring heard `user.created`).
Then the same at {pipe.get("idle", {}).get("rate", 2):.0f}/s on the quiet stack: the floor, what one submission
waits when nothing else is going on.
""")
    if scoring := scenarios.get("scoring"):
        parts.append(f"""**Scoring** (`bench/scoring.py`). Data seeded straight into scoring's database with bulk
inserts ({scoring["ranking"]["seed_s"]:.0f} s), shaped as the service writes it. Requests go through the gateway
one at a time (latency, not throughput): the queue page is
`GET /api/v1/reviews?status=pending&limit=50` as one of {scoring["queue"]["officers"]} officers sharing two
pending reviews per application; ranking + selection is the first ranking page plus the selection
proposal, which reads the whole ranking of the call.
""")
    if "disbursement" in scenarios:
        parts.append("""**Disbursement** (`bench/disbursement.py`). Requested tranches (each with a payee) seeded
straight into disbursement's database. Approvals come from the load process, each a different
tranche, as finance users who did not request them (one transaction each: row locks, the
instruction, two outbox events, two audit rows); the latency is of sequential approvals, from the
request to the `payment.instructed` event reaching a NATS subscriber (outbox relay, JetStream).
""")
    if auth := scenarios.get("nats_auth"):
        parts.append(report_auth.details(auth))
    if ind := scenarios.get("indicators"):
        parts.append(f"""**Indicators** (`bench/indicators.py`). `GET /api/v1/calls/{{id}}/indicators` as a monitor, one
at a time, for a call of {ind["grants"]:,} grants seeded straight into monitoring's database
({ind["seed_s"]:.0f} s): three tranches per grant (two paid), a verification visit that saw one to four
jobs, one or two follow-up visits, an observation of every job at every visit.
""")
    if mem := scenarios.get("memory"):
        parts.append(f"""**Resident memory** (`bench/memory.py`). VmRSS (`/proc/<pid>/status`) of each process the
stack runner started, once {mem["applications"]:,} applications have been submitted through the gateway in
this bench (the earlier scenarios' and {mem["topped_up"]:,} more) and every consumer of every stream has
caught up; the scoring and monitoring processes have also served the seeded 100,000-application
ranking and 10,000-grant indicators by then. The stack runner is `make run`'s supervisor, not a service.
""")
    if "startup" in scenarios:
        parts.append("""**`make run` time to ready** (`bench/startup.py`). `python -m devstack run` (what `make run`
runs, with its defaults: SQLite files, a nats-server of its own) on free ports, timed from the start
of the process until the gateway's and every service's `/readyz` answer 200 (polled every 50 ms).
*New var dir*: databases created and migrated, NATS store made; *same var dir*: started again.
They run after the bench's own stack has stopped, so the venv is warm (bytecode compiled, files in
the page cache), as the target assumes.
""")
    if "yardstick_http" in scenarios or "yardstick_jetstream" in scenarios:
        parts.append("""**Yardsticks.** A bare FastAPI `POST` validating a body of a submission's shape with pydantic
(`bench/yardstick.py`), in one uvicorn process, loaded as the submissions are, then one request at
a time on one connection. JetStream (`bench/jetstream.py`, nats-py, the stack's nats-server, a
stream of its own): a publish loop with async acks (`publish_async`, at most 4,000 pending) in a
process of its own; and one message at a time published from the bench, consumed by a durable push
consumer in another process that acks it (`ack_sync`), timed from before the publish to the ack.
Ratios: throughputs ÷ the bare POST's per second; latencies of HTTP requests ÷ the bare POST's p99
on one connection; latencies of events ÷ the JetStream round trip; memory ÷ the bare FastAPI
process after its load.
""")
    return "\n".join(parts)


FIRST_ANALYSIS = """## Where the time goes

(Not written yet: what the figures above say about where the time goes. This section, between
the analysis markers, is written by hand; the bench keeps it as it is.)"""
