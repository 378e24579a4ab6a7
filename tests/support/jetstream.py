"""Synchronous helpers that talk to a real JetStream server with nats-py."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import TypeVar

import nats
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from shared.topology import ensure_streams, stream_for_subject

T = TypeVar("T")


def with_js(url: str, action: Callable[[JetStreamContext], Awaitable[T]]) -> T:
    async def run() -> T:
        nc = await nats.connect(url, connect_timeout=2, max_reconnect_attempts=1)
        try:
            return await action(nc.jetstream())
        finally:
            await nc.close()

    return asyncio.run(run())


def create_streams(url: str) -> None:
    with_js(url, ensure_streams)


def publish(url: str, subject: str, payload: bytes, msg_id: str | None = None) -> int:
    headers = {"Nats-Msg-Id": msg_id} if msg_id else None

    async def action(js: JetStreamContext) -> int:
        # As the producer would have made it: each app creates only its own streams (shared.nats_auth),
        # and a test publishing another app's event may run without that app.
        with suppress(ValueError):
            await ensure_streams(js, 1, [stream_for_subject(subject)])
        ack = await js.publish(subject, payload, headers=headers)
        return int(ack.seq)

    return with_js(url, action)


@dataclass(frozen=True)
class StoredMessage:
    subject: str
    msg_id: str | None
    data: bytes


def stream_messages(url: str, stream: str) -> list[StoredMessage]:
    async def action(js: JetStreamContext) -> list[StoredMessage]:
        info = await js.stream_info(stream)
        found = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            if info.state.messages == 0:
                break
            try:
                raw = await js.get_msg(stream, seq)
            except NotFoundError:
                continue
            headers = raw.headers or {}
            found.append(StoredMessage(str(raw.subject), headers.get("Nats-Msg-Id"), raw.data or b""))
        return found

    return with_js(url, action)


def consumer_settled(url: str, stream: str, durable: str, at_least: int) -> bool:
    """True once the durable consumer has acked everything up to stream seq `at_least`."""

    async def action(js: JetStreamContext) -> bool:
        try:
            info = await js.consumer_info(stream, durable)
        except NotFoundError:
            return False
        return bool(info.ack_floor.stream_seq >= at_least and info.num_ack_pending == 0)

    return with_js(url, action)


def redelivered_count(url: str, stream: str, durable: str) -> int:
    async def action(js: JetStreamContext) -> int:
        info = await js.consumer_info(stream, durable)
        return int(info.delivered.consumer_seq)

    return with_js(url, action)
