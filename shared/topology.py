"""JetStream streams: one per producing service plus EDF_FINANCE, created or updated at start."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace

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
    """Our defaults, used when a stream is created; an operator's later changes are kept."""
    return [
        StreamConfig(
            name=stream_name(producer),
            subjects=[f"edf.{producer}.>"],
            storage=StorageType.FILE,
            retention=RetentionPolicy.LIMITS,
            discard=DiscardPolicy.OLD,
            duplicate_window=DUPLICATE_WINDOW_SECONDS,
            num_replicas=replicas,
            allow_msg_ttl=True,  # events that carry payee data expire (`Nats-TTL`, shared.relay)
        )
        for producer in PRODUCERS
    ]


def reconciled(existing: StreamConfig, ours: StreamConfig) -> StreamConfig | None:
    """What an existing stream needs of ours, keeping everything else an operator set (max_age,
    max_bytes, max_msgs, discard, ...): our subjects added, per-message TTLs allowed, replicas
    never lowered. None when it needs nothing."""
    subjects = list(existing.subjects or [])
    subjects += [s for s in ours.subjects or [] if s not in subjects]
    wanted = replace(
        existing,
        subjects=subjects,
        allow_msg_ttl=bool(existing.allow_msg_ttl or ours.allow_msg_ttl),
        num_replicas=max(ours.num_replicas or 1, existing.num_replicas or 1),
    )
    unchanged = (
        wanted.subjects == existing.subjects
        and bool(wanted.allow_msg_ttl) == bool(existing.allow_msg_ttl)
        and wanted.num_replicas == (existing.num_replicas or 1)
    )
    return None if unchanged else wanted


async def ensure_streams(js: JetStreamContext, replicas: int = 1, streams: Sequence[str] | None = None) -> None:
    """Idempotent: creates the missing streams of `streams` (None: every EDF stream) with our
    defaults, and gives an existing one only what it lacks (`reconciled`): its retention and
    limits stay as an operator set them, and its replicas are never fewer than it has (an operator
    may have raised them, or a service started with the default of 1 must not shrink R3 streams)."""
    for config in stream_configs(replicas):
        assert config.name is not None
        if streams is not None and config.name not in streams:
            continue
        try:
            info = await js.stream_info(config.name)
        except NotFoundError:
            try:
                await js.add_stream(config)
                log.info("stream created", extra={"stream": config.name, "replicas": replicas})
                continue
            except BadRequestError:
                info = await js.stream_info(config.name)  # another process created it first
        update = reconciled(info.config, config)
        if update is not None:
            await js.update_stream(update)
            log.info("stream updated", extra={"stream": config.name, "replicas": update.num_replicas})
