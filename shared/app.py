"""The FastAPI app every service is built from: same middleware, errors, health routes and
lifespan (database, NATS, outbox relay, inbox consumers)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import JSONResponse

from shared.auth import TokenConfig
from shared.bus import Bus
from shared.db import Database, InfraTables, make_engine, ping
from shared.http import RequestContextMiddleware, refuse_unexpected_body
from shared.inbox import ConsumerPolicy, InboxConsumer, Subscription, consumers_for
from shared.jwk import load_jwks, load_signing_key
from shared.logs import configure_logging
from shared.metrics import ConsumerRef, ProcessMetrics
from shared.nats_auth import APP_USERS, owned_streams
from shared.openapi_responses import install_problem_responses
from shared.ops import ops_router
from shared.problems import install_error_handlers, problem
from shared.relay import OutboxRelay
from shared.settings import CommonSettings, ServiceSettings, nats_login
from shared.telemetry import install_telemetry
from shared.timeline import EntityFinder, application_itself, timeline_router
from shared.tracing import configure_tracing


def token_config(settings: CommonSettings, signing_key_file: Path | None = None) -> TokenConfig:
    """The public keys of EDF_JWT_PUBLIC_KEYS_FILE; with `signing_key_file` (the gateway's), the
    key it signs with too, whose kid must be among them (else its tokens would be refused)."""
    if settings.jwt_public_keys_file is None:
        raise ValueError("EDF_JWT_PUBLIC_KEYS_FILE is not set: the JWKS of the gateway's public keys (docs/deploy.md)")
    keys = load_jwks(settings.jwt_public_keys_file)
    signing = load_signing_key(signing_key_file) if signing_key_file is not None else None
    if signing is not None and signing.kid not in keys:
        raise ValueError(
            f"the signing key {signing.kid} is not in EDF_JWT_PUBLIC_KEYS_FILE: add its public key "
            "there first (`edf jwt jwks`), then switch the gateway to it (docs/deploy.md, key rotation)"
        )
    return TokenConfig(keys=keys, issuer=settings.jwt_issuer, audience=settings.jwt_audience, signing=signing)


Probe = Callable[[], Awaitable[tuple[str, str]]]
"""A readiness check: its name and what it found (`ok` when a required one passes)."""
OK = "ok"


def database_probe(db: Database) -> Probe:
    async def database() -> tuple[str, str]:
        try:
            await asyncio.to_thread(ping, db.engine)
        except Exception:  # noqa: BLE001  (any failure: not reachable)
            return "database", "unreachable"
        return "database", OK

    return database


def nats_probe(bus: Bus) -> Probe:
    async def nats() -> tuple[str, str]:
        return "nats", bus.state

    return nats


def health_router(required: Sequence[Probe], reported: Sequence[Probe] = ()) -> APIRouter:
    """`/healthz`: the process is alive. `/readyz`: 503 while a `required` check fails (the
    database); the `reported` ones (NATS) are in its body and never fail it, since while NATS
    is away the outbox keeps the events and the API serves (docs/architecture.md)."""
    router = APIRouter(tags=["health"])

    @router.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        needed = dict([await probe() for probe in required])
        states = {**needed, **dict([await probe() for probe in reported])}
        failing = [name for name, state in needed.items() if state != OK]
        if failing:
            return problem(503, f"not ready: {', '.join(failing)}", members=states)
        return JSONResponse({"status": "ready", **states})

    return router


@dataclass
class ServiceRuntime:
    settings: ServiceSettings
    db: Database
    bus: Bus
    relay: OutboxRelay
    consumers: list[InboxConsumer]


def create_service_app(
    *,
    settings: ServiceSettings,
    infra: InfraTables,
    routers: Sequence[APIRouter],
    subscriptions: Sequence[Subscription[Any]],
    title: str,
    timeline_entities: EntityFinder = application_itself,
) -> FastAPI:
    """`timeline_entities` names the audited entities of an application in this service (its
    part of the application's timeline); by default the application itself."""
    configure_logging(settings.service_name, settings.log_level)
    configure_tracing(settings.service_name)
    db = Database(engine=make_engine(settings.database_url), infra=infra, source=f"/edf/{settings.service_name}")
    bus = Bus(
        settings.nats_url,
        settings.service_name,
        settings.stream_replicas,
        login=nats_login(settings),
        streams=owned_streams(settings.service_name) if settings.service_name in APP_USERS else None,
    )
    policy = ConsumerPolicy(
        max_deliver=settings.consumer_max_deliver,
        ack_wait=settings.consumer_ack_wait_seconds,
        fetch_batch=settings.consumer_fetch_batch,
    )
    runtime = ServiceRuntime(
        settings=settings,
        db=db,
        bus=bus,
        relay=OutboxRelay(db, bus, payee_data_max_age=settings.payee_data_max_age_days * 86400),
        consumers=consumers_for(db, bus, settings.service_name, subscriptions, policy),
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        bus.start()
        runtime.relay.start()
        for consumer in runtime.consumers:
            consumer.start()
        try:
            yield
        finally:
            for consumer in runtime.consumers:
                await consumer.stop()
            await runtime.relay.stop()
            await bus.close()
            db.engine.dispose()

    app = FastAPI(title=title, version="1.0.0", lifespan=lifespan, dependencies=[Depends(refuse_unexpected_body)])
    app.state.runtime = runtime
    app.state.settings = settings  # routes get them typed through their api/deps.py
    app.state.db = db
    app.state.token_config = token_config(settings)
    app.add_middleware(RequestContextMiddleware)
    install_telemetry(app, ProcessMetrics(db, bus, [ConsumerRef(c.stream, c.name) for c in runtime.consumers]))
    install_error_handlers(app)

    app.include_router(health_router([database_probe(db)], [nats_probe(bus)]))
    app.include_router(ops_router(settings.service_name))
    app.include_router(timeline_router(settings.service_name, timeline_entities))
    for router in routers:
        app.include_router(router)
    install_problem_responses(app)
    return app
