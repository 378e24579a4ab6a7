"""The NATS connection: connects in the background and keeps retrying, so that a service
starts (and keeps its outbox filling) while the broker is down."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext

from shared.nats_auth import NatsLogin
from shared.settings import nats_servers
from shared.tasks import cancel_and_wait, run_bounded
from shared.topology import ensure_streams

log = logging.getLogger("edf.bus")


class Bus:
    def __init__(
        self,
        url: str,
        name: str,
        stream_replicas: int = 1,
        login: NatsLogin | None = None,
        streams: Sequence[str] | None = None,
    ) -> None:
        """`login`: the app's own NATS user (shared.nats_auth); `streams`: those it ensures at
        its start (`shared.nats_auth.owned_streams`; None: every EDF stream)."""
        self.url = url  # one server, or the nodes of a cluster, comma-separated
        self.servers = nats_servers(url)
        self.name = name
        self.stream_replicas = stream_replicas
        self.login = login or NatsLogin()
        self.streams = tuple(streams) if streams is not None else None
        self._nc: Client | None = None
        self._ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False

    @property
    def js(self) -> JetStreamContext:
        if self._nc is None:
            raise ConnectionError("not connected to NATS")
        return self._nc.jetstream(timeout=5)

    @property
    def connected(self) -> bool:
        return self._nc is not None and self._nc.is_connected

    @property
    def state(self) -> str:
        """`connected` (and the streams ensured), `reconnecting` (the connection was lost: the
        client retries it for ever) or `connecting` (not connected yet since the start)."""
        nc = self._nc
        if nc is not None and nc.is_connected and self._ready.is_set():
            return "connected"
        if nc is not None and self._ready.is_set():
            return "reconnecting"
        return "connecting"

    def start(self) -> None:
        self._task = asyncio.create_task(self._connect_forever(), name=f"{self.name}-nats-connect")

    async def wait_ready(self, timeout: float | None = None) -> None:
        await asyncio.wait_for(self._ready.wait(), timeout)

    async def _connect_forever(self) -> None:
        delay = 0.2
        while not self._closing:
            try:
                # The first connection is tried once per round here, not in nats-py's own loop
                # (which can swallow a cancellation and never return); once connected, the
                # client reconnects by itself for ever, to any node of a cluster (those listed
                # and those the cluster announces). The streams are ensured only once a
                # JetStream cluster has its meta leader: until then this fails, and is retried.
                self._nc = await nats.connect(
                    servers=self.servers,
                    name=self.name,
                    connect_timeout=2,
                    allow_reconnect=False,
                    max_reconnect_attempts=-1,
                    reconnect_time_wait=0.5,
                    error_cb=_quiet_error,
                    disconnected_cb=self._disconnected,
                    reconnected_cb=_reconnected,
                    **self.login.connect_options(),
                )
                self._nc.options["allow_reconnect"] = True
                await ensure_streams(self.js, self.stream_replicas, self.streams)
                self._ready.set()
                log.info("connected to NATS")
                return
            except Exception as exc:  # noqa: BLE001  (any failure: try again later)
                log.warning("NATS not reachable yet", extra={"error": type(exc).__name__})
                if self._nc is not None:
                    await run_bounded(self._nc.close(), 2.0)
                    self._nc = None
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _disconnected(self) -> None:
        if not self._closing and self._ready.is_set():
            log.warning("NATS connection lost; reconnecting (events wait in the outbox)")

    async def close(self) -> None:
        self._closing = True
        await cancel_and_wait(self._task)
        if self._nc is not None:
            # nats-py's own drain timeout is 30 s with pull subscriptions: do not hold up a stop.
            await run_bounded(self._nc.drain(), 2.0)
            await run_bounded(self._nc.close(), 2.0)


async def _reconnected() -> None:
    log.info("reconnected to NATS")


async def _quiet_error(exc: Exception) -> None:
    # A permissions violation is a bug of this app's permissions or an attack: never quiet.
    if "permissions violation" in str(exc).lower():
        log.error("NATS refused an operation of this app", extra={"error": str(exc)[:300]})
        return
    log.debug("nats client error", extra={"error": type(exc).__name__})
