"""The consumer loop: pulls a durable consumer's messages, hands them to its applier, then acks
them, naks them with a delay to retry, or terminates them as dead letters.

A fetched batch is given to the applier as one transaction; if any event of it fails, nothing
of it is kept and its events are taken one by one, each with its own retries and dead letter.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from pydantic import ValidationError

from shared.bus import Bus
from shared.db import Database
from shared.events.envelope import EventData, IncomingCloudEvent
from shared.inbox.applier import InboxApplier, describe
from shared.inbox.subscription import Rejection, Subscription, UnprocessableEvent
from shared.tasks import cancel_and_wait
from shared.topology import stream_for_subject

log = logging.getLogger("edf.inbox")

# Called after an effect is committed and before its message is acked (none in production:
# the reliability tests install one that SIGKILLs the process there).
AfterCommit = Callable[["InboxConsumer"], None]


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
        after_commit: AfterCommit | None = None,
    ) -> None:
        self.bus = bus
        self.policy = policy
        self.stream = stream
        self.name = durable_name(service, stream)
        self.applier = InboxApplier(db, self.name, subscriptions)
        self.after_commit = after_commit
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run_forever(), name=self.name)

    async def stop(self) -> None:
        await cancel_and_wait(self._task)

    def _config(self) -> ConsumerConfig:
        return ConsumerConfig(
            durable_name=self.name,
            filter_subjects=sorted(self.applier.subscriptions),
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
        parsed: list[tuple[IncomingCloudEvent, EventData]] = []
        for message in messages:
            try:
                parsed.append(self.applier.parse(message.subject, message.data))
            except (ValueError, ValidationError):
                return False
        try:
            applied = await asyncio.to_thread(self.applier.apply_all, parsed)
        except Exception as exc:  # noqa: BLE001  (each event again on its own)
            log.info("batch not applied; one by one", extra={"consumer": self.name, "error": describe(exc)})
            return False
        if any(applied) and self.after_commit is not None:
            self.after_commit(self)
        for message in messages:
            await message.ack()
        return True

    async def process(self, message: Msg) -> None:
        deliveries = message.metadata.num_delivered
        try:
            event, data = self.applier.parse(message.subject, message.data)
        except (ValueError, ValidationError) as exc:
            rejection = self.applier.rejection(message.subject, message.data)
            key = rejection.key if rejection is not None else None
            await self._dead_letter(message, key, f"unparseable: {describe(exc)}", deliveries, rejection)
            return
        try:
            applied = await asyncio.to_thread(self.applier.apply, event, data)
        except UnprocessableEvent as exc:
            rejection = self.applier.rejection(message.subject, message.data, exc.reason)
            await self._dead_letter(message, event.key, f"unprocessable: {exc}", deliveries, rejection)
            return
        except Exception as exc:  # noqa: BLE001
            if deliveries >= self.policy.max_deliver:
                # Not answered as a rejection: it may apply once replayed (docs/finance-integration.md).
                error = f"failed {deliveries} times: {describe(exc)}"
                await self._dead_letter(message, event.key, error, deliveries)
            else:
                log.warning("event failed; will retry", extra={"consumer": self.name, "error": describe(exc)})
                await message.nak(delay=self._retry_delay(deliveries))
            return
        if applied and self.after_commit is not None:
            self.after_commit(self)
        await message.ack()

    def _retry_delay(self, deliveries: int) -> float:
        steps = self.policy.backoff()
        return steps[min(deliveries, len(steps)) - 1]

    async def _dead_letter(
        self, message: Msg, event_id: str | None, error: str, deliveries: int, rejection: Rejection | None = None
    ) -> None:
        log.error("event dead-lettered", extra={"consumer": self.name, "event_id": event_id, "error": error[:500]})
        seq = message.metadata.sequence.stream
        await asyncio.to_thread(
            self.applier.store_dead_letter, message.subject, seq, message.data, event_id, error, deliveries, rejection
        )
        await message.term()
