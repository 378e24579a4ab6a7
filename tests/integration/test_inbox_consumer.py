"""An `InboxConsumer` in-process against a real JetStream server, with handlers of the test's own:
how long a delivery may take, and batches applied in one transaction."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import select

from services.monitoring.models import INFRA
from shared.bus import Bus
from shared.db import Database, make_engine
from shared.events.calls import CallOpenedV1
from shared.events.envelope import CloudEvent, EventData, IncomingCloudEvent
from shared.inbox import ConsumerPolicy, InboxConsumer, Subscription, UnprocessableEvent
from shared.migrate import upgrade
from shared.uow import UnitOfWork
from tests.integration.test_inbox import OPENED, call_opened_event
from tests.support.jetstream import consumer_settled, create_streams, publish, with_js
from tests.support.natsd import NatsServer

pytestmark = [pytest.mark.integration]

STREAM = "EDF_APPLICATIONS"
DURABLE = f"inboxtest--{STREAM}"
Handler = Callable[[UnitOfWork, IncomingCloudEvent, EventData], None]


@pytest.fixture
def db(make_database_url: Callable[[], str]) -> Iterator[Database]:
    url = make_database_url()
    upgrade("monitoring", url)  # any service's database: the inbox, audit and dead-letter tables
    database = Database(engine=make_engine(url), infra=INFRA, source="/edf/inboxtest")
    yield database
    database.engine.dispose()


def consume(db: Database, nats_url: str, handler: Handler, until_seq: int, replicas: int = 1) -> None:
    """Runs `replicas` consumers of one durable until everything up to `until_seq` is acked."""

    async def run() -> None:
        bus = Bus(nats_url, "inboxtest")
        bus.start()
        consumers = [
            InboxConsumer(db, bus, "inboxtest", STREAM, [Subscription(CallOpenedV1, handler)], ConsumerPolicy())
            for _ in range(replicas)
        ]
        for consumer in consumers:
            consumer.start()
        try:
            deadline = time.monotonic() + 30
            while not await asyncio.to_thread(consumer_settled, nats_url, STREAM, DURABLE, until_seq):
                assert time.monotonic() < deadline, "the events were never all acked"
                await asyncio.sleep(0.2)
        finally:
            for consumer in consumers:
                await consumer.stop()
            await bus.close()

    asyncio.run(run())


def delivered(url: str) -> tuple[int, int]:
    async def action(js: object) -> tuple[int, int]:
        info = await js.consumer_info(STREAM, DURABLE)  # type: ignore[attr-defined]
        return int(info.delivered.consumer_seq), int(info.num_redelivered or 0)

    return with_js(url, action)


def publish_calls_opened(url: str, count: int) -> list[str]:
    """`count` events on the stream before any consumer runs (so that one fetch gets them all)."""
    create_streams(url)
    ids = []
    for _ in range(count):
        _, payload = call_opened_event()
        ids.append(CloudEvent.model_validate_json(payload).id)
        publish(url, OPENED, payload)
    return [str(i) for i in ids]


def test_a_slow_event_is_not_redelivered_while_it_is_handled(db: Database, own_nats: NatsServer) -> None:
    """Not even to another replica waiting for work: the ack deadline is `ack_wait`, not the
    first retry step (JetStream takes a server-side `backoff[0]` as a first delivery's deadline)."""
    calls: list[str] = []

    def slow(uow: UnitOfWork, event: IncomingCloudEvent, data: EventData) -> None:
        calls.append(str(event.id))
        time.sleep(2.5)  # longer than the first retry step (1 s), well within ack_wait (30 s)

    publish_calls_opened(own_nats.url, 1)
    consume(db, own_nats.url, slow, until_seq=1, replicas=2)
    assert len(calls) == 1, calls
    assert delivered(own_nats.url) == (1, 0)  # delivered once, never redelivered


def audited_causes(db: Database) -> list[str]:
    audit = db.infra.audit
    with db.engine.connect() as connection:
        rows = connection.execute(
            select(audit.c.causation_id).where(audit.c.action == "test.applied").order_by(audit.c.seq)
        ).all()
    return [str(r.causation_id) for r in rows]


def test_a_fetched_batch_is_applied_in_one_transaction_with_each_events_own_ids(
    db: Database, own_nats: NatsServer
) -> None:
    ids = publish_calls_opened(own_nats.url, 20)
    units: set[int] = set()
    lock = threading.Lock()

    def record(uow: UnitOfWork, event: IncomingCloudEvent, data: EventData) -> None:
        with lock:
            units.add(id(uow))
        uow.audit("test.applied", "event", event.id, after={"n": ids.index(str(event.id))})

    consume(db, own_nats.url, record, until_seq=20)
    assert len(units) == 1  # one unit of work for the whole fetch
    assert audited_causes(db) == ids  # in stream order, each caused by its own event
    assert delivered(own_nats.url) == (20, 0)


def test_one_bad_event_in_a_batch_leaves_the_others_applied_once(db: Database, own_nats: NatsServer) -> None:
    ids = publish_calls_opened(own_nats.url, 20)
    bad = ids[9]
    tries: dict[str, int] = {}

    def record(uow: UnitOfWork, event: IncomingCloudEvent, data: EventData) -> None:
        tries[str(event.id)] = tries.get(str(event.id), 0) + 1
        if str(event.id) == bad:
            raise UnprocessableEvent("this one contradicts the service's state")
        uow.audit("test.applied", "event", event.id)

    consume(db, own_nats.url, record, until_seq=20)
    assert audited_causes(db) == [i for i in ids if i != bad]  # each once: the failed batch kept nothing
    dead = db.infra.dead_letters
    with db.engine.connect() as connection:
        assert [r.event_id for r in connection.execute(select(dead.c.event_id))] == [bad]
    assert tries[bad] == 2 and all(tries[i] in (1, 2) for i in ids)  # batch once, then one by one


def test_a_waiting_consumer_takes_each_event_as_it_arrives(db: Database, own_nats: NatsServer) -> None:
    """Events a while apart are each handled at once, though a pull may wait long (10 s here) for
    work: nats-py's `fetch(50)` held a first event until its batch was full or its wait was over
    (up to a second per event and per service at a quiet time with the 1 s wait of production)."""
    create_streams(own_nats.url)
    handled: dict[str, float] = {}

    def record(uow: UnitOfWork, event: IncomingCloudEvent, data: EventData) -> None:
        handled[str(event.id)] = time.monotonic()
        time.sleep(0.1)  # the next event arrives while this one is handled

    async def run() -> dict[str, float]:
        bus = Bus(own_nats.url, "inboxtest")
        bus.start()
        consumer = InboxConsumer(
            db, bus, "inboxtest", STREAM, [Subscription(CallOpenedV1, record)], ConsumerPolicy(fetch_wait=10.0)
        )
        consumer.start()
        sent: dict[str, float] = {}
        try:
            await asyncio.sleep(1.0)  # the consumer is waiting for work
            for n in range(8):  # in pairs, as a submission's `submitted` and `screened` come
                _, payload = call_opened_event()
                sent[str(CloudEvent.model_validate_json(payload).id)] = time.monotonic()
                await asyncio.to_thread(publish, own_nats.url, OPENED, payload)
                await asyncio.sleep(0.02 if n % 2 == 0 else 0.7)
            deadline = time.monotonic() + 30
            while len(handled) < len(sent) and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
        finally:
            await consumer.stop()
            await bus.close()
        return sent

    sent = asyncio.run(run())
    waits = {event_id: handled[event_id] - at for event_id, at in sent.items() if event_id in handled}
    assert len(waits) == len(sent), "not every event was handled"
    assert max(waits.values()) < 5.0, f"an event waited for a batch to fill: {sorted(waits.values())}"
