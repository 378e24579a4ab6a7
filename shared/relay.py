"""Outbox relay: publishes committed events with `Nats-Msg-Id` = event id, waits for the
PubAck, then marks the rows published. A broker outage delays events, never drops them:
it retries with backoff for ever. It wakes on commit, and polls as a safety net for rows
that another process (a second replica, a migration) committed.

An event whose class carries payee data (`EventData.carries_payee_data`: a payment instruction)
is published with a maximum age in its stream (the `Nats-TTL` header, whole seconds): JetStream
removes it then, whatever the stream's own retention."""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, update

from shared.bus import Bus
from shared.db import Database
from shared.events.catalogue import CATALOGUE
from shared.tasks import cancel_and_wait

log = logging.getLogger("edf.relay")

DEFAULT_PAYEE_DATA_MAX_AGE = 30 * 24 * 3600.0  # seconds (EDF_PAYEE_DATA_MAX_AGE_DAYS)
PAYEE_DATA_SUBJECTS = frozenset(event.subject for event in CATALOGUE if event.carries_payee_data)


def headers_for(event_id: str, subject: str, payee_data_max_age: float) -> dict[str, str]:
    headers = {"Nats-Msg-Id": event_id}
    if subject in PAYEE_DATA_SUBJECTS:
        headers["Nats-TTL"] = str(max(int(payee_data_max_age), 1))
    return headers


@dataclass(frozen=True)
class PendingEvent:
    seq: int
    event_id: str
    subject: str
    payload: bytes


class OutboxRelay:
    def __init__(
        self,
        db: Database,
        bus: Bus,
        *,
        batch_size: int = 200,
        poll_seconds: float = 1.0,
        payee_data_max_age: float = DEFAULT_PAYEE_DATA_MAX_AGE,
    ) -> None:
        self.db = db
        self.payee_data_max_age = payee_data_max_age
        self.bus = bus
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        loop = asyncio.get_running_loop()

        def wake() -> None:
            loop.call_soon_threadsafe(self._wake.set)

        self.db.on_outbox_commit(wake)
        self._task = asyncio.create_task(self.run(), name=f"{self.db.source}-outbox-relay")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)

    async def run(self) -> None:
        backoff = 0.1
        while True:
            try:
                published = await self.publish_pending()
                backoff = 0.1
            except Exception as exc:  # noqa: BLE001  (retried for ever, with backoff)
                log.warning("outbox publish failed; retrying", extra={"error": type(exc).__name__, "retry_in": backoff})
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)
                continue
            if published < self.batch_size:
                await self._sleep_until_woken()

    async def _sleep_until_woken(self) -> None:
        with suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
        self._wake.clear()

    async def publish_pending(self) -> int:
        """Publishes one batch in commit order; returns how many were published."""
        await self.bus.wait_ready()
        pending = await asyncio.to_thread(self._load_pending)
        done: list[int] = []
        try:
            for event in pending:
                headers = headers_for(event.event_id, event.subject, self.payee_data_max_age)
                await self.bus.js.publish(event.subject, event.payload, headers=headers)
                done.append(event.seq)
        finally:
            if done:
                await asyncio.to_thread(self._mark_published, done)
        return len(done)

    def _load_pending(self) -> list[PendingEvent]:
        outbox = self.db.infra.outbox
        query = (
            select(outbox.c.seq, outbox.c.event_id, outbox.c.subject, outbox.c.payload)
            .where(outbox.c.published_at.is_(None))
            .order_by(outbox.c.seq)
            .limit(self.batch_size)
        )
        with self.db.engine.connect() as connection:
            rows = connection.execute(query).all()
        return [PendingEvent(r.seq, r.event_id, r.subject, r.payload.encode()) for r in rows]

    def _mark_published(self, seqs: list[int]) -> None:
        outbox = self.db.infra.outbox
        with self.db.engine.begin() as connection:
            connection.execute(
                update(outbox)
                .where(outbox.c.seq.in_(seqs))
                .values(published_at=datetime.now(UTC), attempts=outbox.c.attempts + 1)
            )
