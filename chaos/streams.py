"""What the JetStream streams hold, read after the run: every message (subject, `Nats-Msg-Id`,
envelope) of every EDF stream, and the state of every durable consumer."""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass
from typing import Any

import nats
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from shared.events.envelope import event_key
from shared.settings import nats_servers
from shared.topology import PRODUCERS, stream_name

STREAMS = tuple(stream_name(p) for p in PRODUCERS)


@dataclass(frozen=True)
class StreamEvent:
    stream: str
    seq: int
    subject: str
    msg_id: str | None
    envelope: dict[str, Any]

    @property
    def inbox_key(self) -> str | None:
        """What a consumer's inbox and dead letters name it by (an outside event, e.g. a finance
        report, by a key derived from its source and id)."""
        event_id = self.envelope.get("id") or self.msg_id
        return None if event_id is None else event_key(str(self.envelope.get("source", "")), str(event_id))

    @property
    def data(self) -> dict[str, Any]:
        data: dict[str, Any] = self.envelope.get("data") or {}
        return data


@dataclass(frozen=True)
class ConsumerState:
    stream: str
    name: str
    filter_subjects: tuple[str, ...]
    pending: int  # not yet delivered
    ack_pending: int  # delivered, not yet acked
    redelivered: int
    ack_floor: int
    deliveries: int  # every delivery, redeliveries included (the consumer sequence)


@dataclass(frozen=True)
class Streams:
    events: list[StreamEvent]
    consumers: list[ConsumerState]
    counts: dict[str, int]  # stream -> messages


async def _read_stream(js: JetStreamContext, stream: str, count: int) -> list[StreamEvent]:
    if count == 0:
        return []
    durable = f"chaos-reader-{uuid.uuid4().hex[:8]}"
    config = ConsumerConfig(
        durable_name=durable, ack_policy=AckPolicy.NONE, deliver_policy=DeliverPolicy.ALL, max_ack_pending=-1
    )
    await js.add_consumer(stream, config)
    try:
        sub = await js.pull_subscribe_bind(durable=durable, stream=stream)
        found: list[StreamEvent] = []
        while len(found) < count:
            try:
                batch = await sub.fetch(min(500, count - len(found)), timeout=5.0)
            except TimeoutError:
                break
            for message in batch:
                headers = message.headers or {}
                try:
                    envelope = json.loads(message.data)
                except ValueError:
                    envelope = {}
                found.append(
                    StreamEvent(
                        stream, message.metadata.sequence.stream, message.subject, headers.get("Nats-Msg-Id"), envelope
                    )
                )
        await sub.unsubscribe()
        return found
    finally:
        await js.delete_consumer(stream, durable)


async def _consumers(js: JetStreamContext, stream: str) -> list[ConsumerState]:
    states = []
    for info in await js.consumers_info(stream):
        config = info.config
        name = config.durable_name or info.name
        if name.startswith("chaos-reader-"):
            continue
        subjects = tuple(config.filter_subjects or ([config.filter_subject] if config.filter_subject else []))
        states.append(
            ConsumerState(
                stream=stream,
                name=name,
                filter_subjects=subjects,
                pending=int(info.num_pending or 0),
                ack_pending=int(info.num_ack_pending or 0),
                redelivered=int(info.num_redelivered or 0),
                ack_floor=int(info.ack_floor.stream_seq if info.ack_floor else 0),
                deliveries=int(info.delivered.consumer_seq if info.delivered else 0),
            )
        )
    return states


async def read_streams(url: str, with_events: bool = True) -> Streams:
    nc = await nats.connect(nats_servers(url), connect_timeout=5, max_reconnect_attempts=3)
    try:
        js = nc.jetstream(timeout=10)
        counts = {s: int((await js.stream_info(s)).state.messages) for s in STREAMS}
        events: list[StreamEvent] = []
        if with_events:
            for stream in STREAMS:
                events += await _read_stream(js, stream, counts[stream])
        consumers: list[ConsumerState] = []
        for stream in STREAMS:
            consumers += await _consumers(js, stream)
        return Streams(events=events, consumers=consumers, counts=counts)
    finally:
        await nc.close()


def read(url: str, with_events: bool = True) -> Streams:
    return asyncio.run(read_streams(url, with_events))
