"""Delivery checks: every outbox row was published (and is on its stream once), every event on
a stream reached every consumer that subscribes to it (its inbox has it, or a dead letter
explains it), the durable consumers have nothing pending, and no dead letters."""

from __future__ import annotations

from collections import Counter

from chaos.data import Data
from chaos.streams import Streams
from chaos.verdict import Check
from shared.topology import stream_name

PRODUCING_APPS = ("gateway", "applications", "scoring", "disbursement", "monitoring")


def delivery_checks(data: Data, streams: Streams) -> list[Check]:
    stuck = Check("no event stuck in an outbox", "")
    published = Check("every outbox event is on its stream, once", "")
    figures_stuck, figures_published = [], []
    for app in PRODUCING_APPS:
        rows = data.rows(app, "SELECT event_id, published_at IS NOT NULL AS published FROM outbox")
        pending = sum(not r["published"] for r in rows)
        stuck.lost += pending
        figures_stuck.append(f"{app} {pending}")
        stream = stream_name(app)
        on_stream = Counter(e.msg_id for e in streams.events if e.stream == stream)
        ids = {r["event_id"] for r in rows}
        missing = [i for i in ids if on_stream[i] == 0]
        published.lost += len(missing)
        published.problems += [f"{app}: event {i} is not on {stream}" for i in missing[:5]]
        published.duplicated += sum(n - 1 for n in on_stream.values() if n > 1)
        foreign = [i for i in on_stream if i not in ids]
        published.problems += [f"{stream}: message {i} is in no outbox" for i in foreign[:5]]
        figures_published.append(f"{stream} {sum(on_stream.values())}/{len(rows)}")
    stuck.figure = "unpublished rows: " + ", ".join(figures_stuck)
    published.figure = "messages/outbox rows: " + ", ".join(figures_published)

    dead = Check("dead letters", "")
    dead_ids: dict[str, set[str]] = {}
    counts = []
    for app in PRODUCING_APPS:
        if app == "gateway":
            continue
        rows = data.rows(app, "SELECT consumer, subject, event_id, error FROM dead_letters")
        counts.append(f"{app} {len(rows)}")
        for row in rows:
            dead_ids.setdefault(row["consumer"], set()).add(str(row["event_id"]))
            dead.problems.append(f"{app}: {row['consumer']} {row['subject']}: {str(row['error'])[:200]}")
    dead.figure = ", ".join(counts)

    consumed = Check("every event reached every consumer that subscribes to it", "")
    drained = Check("durable consumers drained (nothing pending or unacked)", "")
    total = redelivered = 0
    for consumer in streams.consumers:
        if consumer.pending or consumer.ack_pending:
            drained.problems.append(f"{consumer.name}: {consumer.pending} pending, {consumer.ack_pending} unacked")
        wanted = [e for e in streams.events if e.stream == consumer.stream and e.subject in consumer.filter_subjects]
        redelivered += max(consumer.deliveries - len(wanted), 0)
        total += len(wanted)
        service = consumer.name.split("--")[0]
        if service not in PRODUCING_APPS:
            continue  # the finance consumer: its payments are checked against the instructions
        inbox = {
            r["event_id"] for r in data.rows(service, "SELECT event_id FROM inbox WHERE consumer = :c", c=consumer.name)
        }
        dead_keys = dead_ids.get(consumer.name, set())
        missing = [e for e in wanted if e.inbox_key not in inbox and e.inbox_key not in dead_keys]
        consumed.lost += len(missing)
        consumed.problems += [f"{consumer.name} never applied {e.subject} {e.msg_id}" for e in missing[:5]]
    consumed.figure = (
        f"{total} events for {len(streams.consumers)} durable consumers, "
        f"{redelivered} deliveries more than once (redeliveries, naks and retries)"
    )
    drained.figure = (
        f"{len(streams.consumers)} consumers, "
        f"{sum(c.redelivered for c in streams.consumers)} messages redelivered at the end"
    )
    return [stuck, published, consumed, drained, dead]
