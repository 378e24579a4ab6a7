"""JetStream streams: one per producing service plus EDF_FINANCE, created or updated at start."""

from __future__ import annotations

import logging

from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import BadRequestError, NotFoundError

log = logging.getLogger("edf.topology")

PRODUCERS = ("gateway", "applications", "scoring", "disbursement", "monitoring", "finance")
DUPLICATE_WINDOW_SECONDS = 10 * 60


def stream_name(producer: str) -> str:
    return f"EDF_{producer.upper()}"


def stream_for_subject(subject: str) -> str:
    """`edf.scoring.application.scored.v1` -> `EDF_SCORING`."""
    parts = subject.split(".")
    if len(parts) < 3 or parts[0] != "edf" or parts[1] not in PRODUCERS:
        raise ValueError(f"subject {subject!r} belongs to no EDF stream")
    return stream_name(parts[1])


def stream_configs(replicas: int = 1) -> list[StreamConfig]:
    return [
        StreamConfig(
            name=stream_name(producer),
            subjects=[f"edf.{producer}.>"],
            storage=StorageType.FILE,
            retention=RetentionPolicy.LIMITS,
            discard=DiscardPolicy.OLD,
            duplicate_window=DUPLICATE_WINDOW_SECONDS,
            num_replicas=replicas,
        )
        for producer in PRODUCERS
    ]


async def ensure_streams(js: JetStreamContext, replicas: int = 1) -> None:
    """Idempotent: creates missing streams and brings existing ones to this configuration, with
    at least `replicas` replicas: never fewer than a stream has (an operator may have raised them,
    or a service started with the default of 1 must not shrink a cluster's R3 streams)."""
    for config in stream_configs(replicas):
        assert config.name is not None
        try:
            info = await js.stream_info(config.name)
        except NotFoundError:
            try:
                await js.add_stream(config)
                log.info("stream created", extra={"stream": config.name, "replicas": replicas})
                continue
            except BadRequestError:
                info = await js.stream_info(config.name)  # another process created it first
        config.num_replicas = max(replicas, info.config.num_replicas or 1)
        await js.update_stream(config)
