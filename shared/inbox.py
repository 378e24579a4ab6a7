"""Inbox consumers: durable pull consumers with explicit ack.

Each event's effect and its `(consumer, event id)` inbox row commit in one transaction, and
the message is acked only after that commit: a redelivered or republished event is acked and
skipped. A message that can never succeed (bad JSON, bad envelope, bad data, or a handler
that raises `UnprocessableEvent`) is terminated at once and kept as a dead letter; a handler
that keeps failing is retried with backoff up to `max_deliver` times, then dead-lettered.

A fetched batch is applied in one transaction where it can be (one commit and one append to
the audit chain for all of it, each event still with its own inbox row and ids): under load
that cuts the CPU a submission costs the whole system by about 40 % (docs/benchmarks.md).
If any event of the batch fails, nothing of it is kept and its events are taken one by one,
each with its own retries and dead letter.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from pydantic import ValidationError
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from shared.bus import Bus
from shared.db import Database
from shared.events.envelope import CloudEvent, EventData
from shared.logs import correlation_id_var
from shared.tasks import cancel_and_wait
from shared.topology import stream_for_subject
from shared.uow import UnitOfWork

log = logging.getLogger("edf.inbox")

E = TypeVar("E", bound=EventData)
Handler = Callable[[UnitOfWork, CloudEvent, E], None]
# Fault injection for the reliability tests: the named consumer kills its own process
# after committing an effect and before acking it.
KILL_AFTER_COMMIT_ENV = "EDF_FAULT_KILL_AFTER_COMMIT"


class UnprocessableEvent(Exception):
    """The event can never be applied (e.g. it contradicts this service's state)."""


class NotYetApplicable(Exception):
    """The event depends on one not applied here yet (replicas may take a stream out of
    order): it is retried with backoff, and dead-lettered only after `max_deliver` tries."""


@dataclass(frozen=True)
class Subscription(Generic[E]):
    """An event class and its handler: mypy checks that the handler accepts that class. Keep a
    service's subscriptions in a tuple without an annotation (`SUBSCRIPTIONS = (...)`): one such
    as `list[Subscription[Any]]` would give each row `Any` and switch the check off."""

    event: type[E]
    handler: Handler[E]

    @property
    def subject(self) -> str:
        return self.event.subject


@dataclass(frozen=True)
class ConsumerPolicy:
    max_deliver: int = 6
    ack_wait: float = 30.0
    fetch_batch: int = 50
    fetch_wait: float = 1.0  # how long one pull waits for a message (then it pulls again)

    def backoff(self) -> list[float]:
        steps = [1.0, 5.0, 15.0, 30.0, 60.0]
        return [max(step, 0.5) for step in steps[: max(self.max_deliver - 1, 1)]]


def durable_name(service: str, stream: str) -> str:
    """`scoring` + `EDF_APPLICATIONS` -> `scoring--EDF_APPLICATIONS`."""
    return f"{service}--{stream}"


def consumers_for(
    db: Database, bus: Bus, service: str, subscriptions: Sequence[Subscription[Any]], policy: ConsumerPolicy
) -> list[InboxConsumer]:
    """One durable consumer per source stream, so that a stream's events arrive in order."""
    by_stream: dict[str, list[Subscription[Any]]] = {}
    for subscription in subscriptions:
        by_stream.setdefault(stream_for_subject(subscription.subject), []).append(subscription)
    return [InboxConsumer(db, bus, service, stream, subs, policy) for stream, subs in by_stream.items()]


class InboxConsumer:
    def __init__(
        self,
        db: Database,
        bus: Bus,
        service: str,
        stream: str,
        subscriptions: Sequence[Subscription[Any]],
        policy: ConsumerPolicy,
    ) -> None:
        self.db = db
        self.bus = bus
        self.subscriptions = {s.subject: s for s in subscriptions}
        self.policy = policy
        self.stream = stream
        self.name = durable_name(service, stream)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run_forever(), name=self.name)

    async def stop(self) -> None:
        await cancel_and_wait(self._task)

    def _config(self) -> ConsumerConfig:
        return ConsumerConfig(
            durable_name=self.name,
            filter_subjects=sorted(self.subscriptions),
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            # No server-side `backoff`: JetStream would take its first step (1 s) as the ack
            # deadline of every first delivery and redeliver an event still being handled under
            # load (spending an attempt, or handing it to another replica). Failures are
            # retried with `nak(delay)` on the same steps; a consumer that dies mid-event
            # gets its messages again after `ack_wait`.
            ack_wait=self.policy.ack_wait,
            max_deliver=self.policy.max_deliver,
            max_ack_pending=1000,
        )

    async def _run_forever(self) -> None:
        while True:
            try:
                await self.bus.wait_ready()
                await self.bus.js.add_consumer(self.stream, self._config())
                sub = await self.bus.js.pull_subscribe_bind(durable=self.name, stream=self.stream)
                try:
                    await self._pull(sub)
                finally:  # a new subscription replaces it after a broker error
                    with suppress(Exception):
                        await sub.unsubscribe()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001  (broker hiccup: resubscribe)
                log.warning("consumer loop restarting", extra={"consumer": self.name, "error": repr(exc)})
                await asyncio.sleep(1.0)

    async def _pull(self, sub: JetStreamContext.PullSubscription) -> None:
        while True:
            try:
                messages = await self._next_batch(sub)
            except TimeoutError:
                continue
            if len(messages) > 1 and await self._process_together(messages):
                continue
            for message in messages:
                await self.process(message)

    async def _next_batch(self, sub: JetStreamContext.PullSubscription) -> list[Msg]:
        """The next message as soon as there is one, with those already waiting behind it (up to
        `fetch_batch`). A single `fetch(fetch_batch)` would not do: once nothing is waiting,
        nats-py's fetch holds its first message until the batch is full or its timeout ends,
        adding up to a second to every event at a moderate rate."""
        messages: list[Msg] = await sub.fetch(1, timeout=self.policy.fetch_wait)
        waiting = messages[-1].metadata.num_pending if messages else 0
        if waiting and self.policy.fetch_batch > 1:
            with suppress(TimeoutError):  # another replica took them meanwhile: go on with what we have
                messages += await sub.fetch(min(waiting, self.policy.fetch_batch - 1), timeout=0.2)
        return messages

    async def _process_together(self, messages: list[Msg]) -> bool:
        """Applies a fetched batch in one transaction (one commit, one append to the audit chain)
        and acks it. False when any event of it cannot be applied: nothing of the batch is
        kept, and the caller takes its events one by one, each with its own retries."""
        parsed: list[tuple[Msg, CloudEvent, EventData]] = []
        for message in messages:
            try:
                event, data = self.parse(message.subject, message.data)
            except (ValueError, ValidationError):
                return False
            parsed.append((message, event, data))
        try:
            applied = await asyncio.to_thread(self.apply_all, [(event, data) for _, event, data in parsed])
        except Exception as exc:  # noqa: BLE001  (each event again on its own)
            log.info("batch not applied; one by one", extra={"consumer": self.name, "error": _describe(exc)})
            return False
        if any(applied) and os.environ.get(KILL_AFTER_COMMIT_ENV) in (self.name, "*"):
            os.kill(os.getpid(), signal.SIGKILL)
        for message, _, _ in parsed:
            await message.ack()
        return True

    async def process(self, message: Msg) -> None:
        deliveries = message.metadata.num_delivered
        try:
            event, data = self.parse(message.subject, message.data)
        except (ValueError, ValidationError) as exc:
            await self._dead_letter(message, None, f"unparseable: {_describe(exc)}", deliveries)
            return
        try:
            applied = await asyncio.to_thread(self.apply, event, data)
        except UnprocessableEvent as exc:
            await self._dead_letter(message, str(event.id), f"unprocessable: {exc}", deliveries)
            return
        except Exception as exc:  # noqa: BLE001
            if deliveries >= self.policy.max_deliver:
                error = f"failed {deliveries} times: {_describe(exc)}"
                await self._dead_letter(message, str(event.id), error, deliveries)
            else:
                log.warning("event failed; will retry", extra={"consumer": self.name, "error": _describe(exc)})
                await message.nak(delay=self._retry_delay(deliveries))
            return
        if applied and os.environ.get(KILL_AFTER_COMMIT_ENV) in (self.name, "*"):
            os.kill(os.getpid(), signal.SIGKILL)
        await message.ack()

    def _retry_delay(self, deliveries: int) -> float:
        steps = self.policy.backoff()
        return steps[min(deliveries, len(steps)) - 1]

    def parse(self, subject: str, payload: bytes) -> tuple[CloudEvent, EventData]:
        event = CloudEvent.model_validate_json(payload)
        if event.type != subject:
            raise ValueError(f"envelope type {event.type!r} differs from subject")
        subscription = self.subscriptions.get(event.type)
        if subscription is None:
            raise ValueError(f"no subscription to {event.type}")
        return event, subscription.event.model_validate(event.data, extra="ignore")

    def apply(self, event: CloudEvent, data: EventData) -> bool:
        """Returns False when the event had already been applied (a duplicate)."""
        event_id = str(event.id)
        correlation_id_var.set(event.correlationid)  # this worker thread's logs carry it
        with UnitOfWork(self.db, correlation_id=event.correlationid, causation_id=event_id) as uow:
            try:
                if not uow.claim_inbox(self.name, event_id, event.type):
                    return False
                self.subscriptions[event.type].handler(uow, event, data)
                uow.commit()
            except IntegrityError:
                # Checked on the same session: SQLite has one connection, and a second session
                # would wait for it.
                uow.session.rollback()
                if uow.inbox_seen(self.name, event_id):
                    return False  # another replica applied it meanwhile
                raise
        return True

    def apply_all(self, events: Sequence[tuple[CloudEvent, EventData]]) -> list[bool]:
        """Applies events in order in one transaction: each with its own correlation and
        causation ids, each seeing the effects of those before it; an exception keeps none.
        Returns, for each, False when it had already been applied."""
        applied: list[bool] = []
        with UnitOfWork(self.db) as uow:
            for event, data in events:
                event_id = str(event.id)
                correlation_id_var.set(event.correlationid)
                uow.correlation_id, uow.causation_id = event.correlationid, event_id
                fresh = uow.claim_inbox(self.name, event_id, event.type)
                if fresh:
                    self.subscriptions[event.type].handler(uow, event, data)
                    uow.session.flush()  # the next event's handler and Core statements see it,
                    uow.session.expire_all()  # and reads it again rather than trusting loaded objects
                applied.append(fresh)
            uow.commit()
        return applied

    async def _dead_letter(self, message: Msg, event_id: str | None, error: str, deliveries: int) -> None:
        log.error("event dead-lettered", extra={"consumer": self.name, "event_id": event_id, "error": error[:500]})
        await asyncio.to_thread(self._store_dead_letter, message, event_id, error, deliveries)
        await message.term()

    def _store_dead_letter(self, message: Msg, event_id: str | None, error: str, deliveries: int) -> None:
        row = {
            "consumer": self.name,
            "subject": message.subject,
            "event_id": event_id,
            "stream_seq": message.metadata.sequence.stream,
            "payload": message.data.decode("utf-8", errors="replace"),
            "error": error[:4000],
            "deliveries": deliveries,
            "created_at": datetime.now(UTC),
        }
        with suppress(IntegrityError), self.db.engine.begin() as connection:
            connection.execute(insert(self.db.infra.dead_letters).values(**row))


def _describe(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        # Field locations and messages only: never the offending values.
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
    if isinstance(exc, json.JSONDecodeError):
        return "invalid JSON"
    return f"{type(exc).__name__}: {exc}"[:500]
