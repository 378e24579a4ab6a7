"""Prometheus metrics of one process (prometheus-client), each app on a registry of its own.

Requests are counted by route template (`/api/v1/applications/{application_id}`), method and
status, never by path; the other metrics are read when Prometheus scrapes: the outbox (rows
not yet published, the oldest one's age), the dead letters of each inbox consumer, the
inbox consumers' lag from JetStream's consumer info, the database pool and the NATS
connection. No label carries personal data. docs/operations.md says what each one means.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from threading import Thread
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Histogram, generate_latest, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine, create_engine, func, select
from sqlalchemy.pool import NullPool

from shared.bus import Bus
from shared.db import Database

log = logging.getLogger("edf.metrics")
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"  # the route label of a request that no route took
CONSUMER_INFO_TIMEOUT = 2.0


@dataclass(frozen=True)
class ConsumerRef:
    stream: str
    durable: str


@dataclass
class ConsumerLag:
    """Each inbox consumer's backlog as JetStream last reported it (refreshed before a scrape)."""

    consumers: Sequence[ConsumerRef]
    pending: dict[str, int] = field(default_factory=dict)  # not yet delivered
    unacked: dict[str, int] = field(default_factory=dict)  # delivered, not acknowledged yet
    ack_floor: dict[str, int] = field(default_factory=dict)  # stream sequence acknowledged up to

    async def refresh(self, bus: Bus) -> None:
        await asyncio.gather(*(self._refresh_one(bus, consumer) for consumer in self.consumers))

    async def _refresh_one(self, bus: Bus, consumer: ConsumerRef) -> None:
        try:
            info = await bus.js.consumer_info(consumer.stream, consumer.durable, timeout=CONSUMER_INFO_TIMEOUT)
        except Exception:  # noqa: BLE001  (NATS away, consumer not made yet: no sample rather than a stale one)
            for values in (self.pending, self.unacked, self.ack_floor):
                values.pop(consumer.durable, None)
            return
        self.pending[consumer.durable] = int(info.num_pending or 0)
        self.unacked[consumer.durable] = int(info.num_ack_pending or 0)
        floor = info.ack_floor.stream_seq if info.ack_floor is not None else 0
        self.ack_floor[consumer.durable] = int(floor or 0)


def reading_engine(engine: Engine) -> Engine:
    """SQLite: a connection of its own for each scrape, since the app's pool is one writer
    connection and a WAL reader need not wait for it; any other database: the app's pool."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return engine
    return create_engine(engine.url, poolclass=NullPool, connect_args={"check_same_thread": False, "timeout": 2})


def _gauge(name: str, documentation: str, value: float | None = None) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


class StateCollector(Collector):
    """What is read at scrape time: outbox, dead letters, pool, NATS, consumer lag."""

    def __init__(self, db: Database, bus: Bus, lag: ConsumerLag) -> None:
        self.db = db
        self.bus = bus
        self.lag = lag
        self.reader = reading_engine(db.engine)

    def collect(self) -> Iterable[GaugeMetricFamily]:
        yield from self._pool()
        yield _gauge("edf_nats_connected", "1 while the process is connected to NATS", float(self.bus.connected))
        yield from self._lag()
        yield from self._tables()

    def _pool(self) -> Iterator[GaugeMetricFamily]:
        pool = self.db.engine.pool
        checkedout, size = getattr(pool, "checkedout", None), getattr(pool, "size", None)
        if callable(checkedout) and callable(size):
            yield _gauge("edf_db_pool_connections_in_use", "Database connections checked out of the pool", checkedout())
            yield _gauge("edf_db_pool_size", "Connections the pool keeps (more may overflow)", size())

    def _lag(self) -> Iterator[GaugeMetricFamily]:
        for name, documentation, values in (
            ("edf_inbox_pending_messages", "Events on the stream not yet delivered to the consumer", self.lag.pending),
            ("edf_inbox_unacked_messages", "Events delivered to the consumer, not acknowledged yet", self.lag.unacked),
            (
                "edf_inbox_ack_floor",
                "Stream sequence up to which the consumer has acknowledged all",
                self.lag.ack_floor,
            ),
        ):
            family = GaugeMetricFamily(name, documentation, labels=["consumer"])
            for consumer, value in sorted(values.items()):
                family.add_metric([consumer], value)
            yield family

    def _tables(self) -> Iterator[GaugeMetricFamily]:
        try:
            count, oldest, dead = self._read_tables()
        except Exception as exc:  # noqa: BLE001  (the database away: the scrape still answers)
            log.debug("metrics: database not readable", extra={"error": type(exc).__name__})
            yield _gauge("edf_database_up", "1 when the scrape could read the database", 0)
            return
        yield _gauge("edf_database_up", "1 when the scrape could read the database", 1)
        yield _gauge("edf_outbox_pending", "Committed events not yet published to NATS", count)
        age = (datetime.now(UTC) - _utc(oldest)).total_seconds() if oldest is not None else 0.0
        yield _gauge("edf_outbox_oldest_pending_age_seconds", "Age of the oldest unpublished event (0: none)", age)
        letters = GaugeMetricFamily(
            "edf_inbox_dead_letters", "Dead-lettered events not replayed yet, per consumer", labels=["consumer"]
        )
        for name in sorted({*dead, *(c.durable for c in self.lag.consumers)}):
            letters.add_metric([name], dead.get(name, 0))
        yield letters

    def _read_tables(self) -> tuple[int, datetime | None, dict[str, int]]:
        outbox, dead_letters = self.db.infra.outbox, self.db.infra.dead_letters
        pending = select(func.count(), func.min(outbox.c.created_at)).where(outbox.c.published_at.is_(None))
        letters = (
            select(dead_letters.c.consumer, func.count())
            .where(dead_letters.c.replayed_at.is_(None))
            .group_by(dead_letters.c.consumer)
        )
        with self.reader.connect() as connection:
            count, oldest = connection.execute(pending).one()
            dead = {str(consumer): int(n) for consumer, n in connection.execute(letters).all()}
        return int(count), oldest, dead


def _utc(moment: datetime) -> datetime:
    """SQLite hands timestamps back without their zone; they were written in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class ProcessMetrics:
    """The registry of one app: the request histogram and the state read at scrape time."""

    def __init__(self, db: Database, bus: Bus, consumers: Sequence[ConsumerRef] = ()) -> None:
        self.bus = bus
        self.registry = CollectorRegistry()
        self.requests = Histogram(
            "edf_http_request_duration_seconds",
            "HTTP requests by route template, method and status, and how long they took",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.lag = ConsumerLag(consumers)
        self.registry.register(StateCollector(db, bus, self.lag))

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        method = method if method in HTTP_METHODS else "OTHER"
        self.requests.labels(route=route, method=method, status=str(status)).observe(seconds)

    def latest(self) -> bytes:
        return generate_latest(self.registry)

    async def exposition(self) -> bytes:
        """The text exposition, the consumers' lag asked of JetStream first."""
        if self.lag.consumers:
            await self.lag.refresh(self.bus)
        return await asyncio.to_thread(self.latest)


@dataclass
class MetricsListener:
    """The registry served on a port of its own (the gateway's, kept off its public listener)."""

    metrics: ProcessMetrics
    host: str
    port: int
    _server: WSGIServer | None = None
    _thread: Thread | None = None

    def start(self) -> None:
        if self.port == 0:
            return
        try:
            server, thread = start_http_server(self.port, self.host, registry=self.metrics.registry)
        except OSError as exc:  # a metrics port in use must not keep the API from serving
            log.error("metrics listener not started", extra={"port": self.port, "error": type(exc).__name__})
            return
        self._server, self._thread = server, thread
        log.info("metrics listener started", extra={"host": self.host, "port": self.port})

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            with suppress(Exception):
                server.shutdown()
                server.server_close()
