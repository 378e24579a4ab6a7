"""Two replicas of a service share its durable pull consumer: every event is applied exactly
once, and both replicas do part of the work (what a Deployment with 2+ pods relies on).

Each replica is a real process whose `InboxApplier.apply` and `apply_all` (a fetched batch in
one transaction) are wrapped to append the ids of the events it applied to a file of its own, so
that per-replica work is counted exactly.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from shared.migrate import upgrade
from tests.integration.test_inbox import OPENED, call_opened_event, count
from tests.support.apps import REPO, AppProcess, wait_until
from tests.support.jetstream import consumer_settled, create_streams, publish, with_js
from tests.support.natsd import NatsServer, free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SERVICE = "monitoring"  # any consumer of call.opened (scoring, disbursement, monitoring) would do
DURABLE = f"{SERVICE}--EDF_APPLICATIONS"
EVENTS = 200

# The replica: uvicorn running the service, with apply() reporting what this process applied.
REPLICA = """
import os, sys, threading
import uvicorn
from shared.inbox.applier import InboxApplier

lock, path = threading.Lock(), os.environ["EDF_TEST_APPLIED_LOG"]
original, original_all = InboxApplier.apply, InboxApplier.apply_all

def record(ids):
    with lock, open(path, "a") as f:
        f.write("".join(f"{i}\\n" for i in ids))

def apply(self, event, data):
    applied = original(self, event, data)
    if applied:
        record([event.id])
    return applied

def apply_all(self, events):
    applied = original_all(self, events)
    record([event.id for (event, _), fresh in zip(events, applied) if fresh])
    return applied

InboxApplier.apply, InboxApplier.apply_all = apply, apply_all
uvicorn.run(sys.argv[1], factory=True, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""


class Replica(AppProcess):
    def __init__(self, name: str, env: dict[str, str], tmp_path: Path) -> None:
        self.applied_log = tmp_path / f"{name}.applied"
        self.applied_log.touch()
        super().__init__(
            SERVICE, free_port(), {**env, "EDF_TEST_APPLIED_LOG": str(self.applied_log)}, tmp_path / f"{name}.log"
        )

    def start(self) -> None:
        command = [sys.executable, "-c", REPLICA, f"services.{SERVICE}.main:create_app", str(self.port)]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(command, cwd=REPO, env={**os.environ, **self.env}, stdout=log, stderr=log)

    def applied(self) -> list[str]:
        return self.applied_log.read_text().split()


def waiting_pulls(url: str) -> int:
    async def action(js: object) -> int:
        info = await js.consumer_info("EDF_APPLICATIONS", DURABLE)  # type: ignore[attr-defined]
        return int(info.num_waiting or 0)

    return with_js(url, action)


def test_two_replicas_share_the_durable_consumer_without_double_effects(
    make_database_url: Callable[[], str], own_nats: NatsServer, tmp_path: Path
) -> None:
    database_url = make_database_url()
    upgrade(SERVICE, database_url)
    create_streams(own_nats.url)
    env = {f"{SERVICE.upper()}_DATABASE_URL": database_url, "EDF_NATS_URL": own_nats.url}
    replicas = [Replica(name, env, tmp_path) for name in ("replica-a", "replica-b")]
    try:
        for replica in replicas:
            replica.start()
        for replica in replicas:
            replica.wait_ready()
        # Both replicas have a pull request waiting before anything is published.
        wait_until(lambda: waiting_pulls(own_nats.url) >= 2, timeout=20)

        published: dict[str, str] = {}  # event id -> call id
        last = 0
        for _ in range(EVENTS):
            call_id, payload = call_opened_event()
            event_id = _event_id(payload)
            published[event_id] = str(call_id)
            last = publish(own_nats.url, OPENED, payload)
        wait_until(lambda: consumer_settled(own_nats.url, "EDF_APPLICATIONS", DURABLE, last), timeout=90, interval=0.2)
    finally:
        for replica in replicas:
            replica.stop()

    print(f"applied per replica: {[len(r.applied()) for r in replicas]}")
    logs = "\n".join(r.log_path.read_text(errors="replace") for r in replicas)
    a, b = (replica.applied() for replica in replicas)
    assert len(a) > 0 and len(b) > 0, f"one replica did all the work: {len(a)} / {len(b)}\n{logs[-2000:]}"
    assert not set(a) & set(b), "an event was applied by both replicas"
    assert sorted(a + b) == sorted(published), "every event applied exactly once across the replicas"

    assert count(database_url, "SELECT count(*) FROM inbox WHERE consumer = :c", c=DURABLE) == EVENTS
    assert count(database_url, "SELECT count(*) FROM calls") == EVENTS
    assert count(database_url, "SELECT count(*) FROM dead_letters") == 0
    engine = create_engine(database_url)
    with engine.connect() as connection:
        per_call = dict(connection.execute(text("SELECT entity_id, count(*) FROM audit_log GROUP BY entity_id")).all())
    engine.dispose()
    assert {str(k): int(v) for k, v in per_call.items()} == dict.fromkeys(published.values(), 1)


def _event_id(payload: bytes) -> str:
    return str(uuid.UUID(json.loads(payload)["id"]))
