"""The FastAPI app every service is built from: same middleware, errors, health routes and
lifespan (database, NATS, outbox relay, inbox consumers)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse

from shared.auth import TokenConfig
from shared.bus import Bus
from shared.db import Database, InfraTables, make_engine, ping
from shared.http import RequestContextMiddleware, refuse_unexpected_body
from shared.inbox import ConsumerPolicy, InboxConsumer, Subscription, consumers_for
from shared.logs import configure_logging
from shared.openapi_responses import install_problem_responses
from shared.ops import ops_router
from shared.problems import install_error_handlers, problem
from shared.relay import OutboxRelay
from shared.settings import CommonSettings, ServiceSettings
from shared.timeline import EntityFinder, application_itself, timeline_router


def database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


Db = Annotated[Database, Depends(database)]


def token_config(settings: CommonSettings) -> TokenConfig:
    return TokenConfig(
        secret=settings.jwt_secret.get_secret_value(),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
    )


def health_router(readiness: list[object]) -> APIRouter:
    """`/healthz`: the process is alive. `/readyz`: its database and NATS are reachable."""
    router = APIRouter(tags=["health"])

    @router.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        failing = [name for name, ok in [await check() for check in readiness] if not ok]  # type: ignore[operator]
        if failing:
            return problem(503, f"not ready: {', '.join(failing)}")
        return JSONResponse({"status": "ready"})

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
    db = Database(engine=make_engine(settings.database_url), infra=infra, source=f"/edf/{settings.service_name}")
    bus = Bus(settings.nats_url, settings.service_name, settings.stream_replicas)
    policy = ConsumerPolicy(
        max_deliver=settings.consumer_max_deliver,
        ack_wait=settings.consumer_ack_wait_seconds,
        fetch_batch=settings.consumer_fetch_batch,
    )
    runtime = ServiceRuntime(
        settings=settings,
        db=db,
        bus=bus,
        relay=OutboxRelay(db, bus),
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
    app.state.db = db
    app.state.token_config = token_config(settings)
    app.add_middleware(RequestContextMiddleware)
    install_error_handlers(app)

    async def database_ok() -> tuple[str, bool]:
        try:
            await asyncio.to_thread(ping, db.engine)
            return "database", True
        except Exception:  # noqa: BLE001
            return "database", False

    async def nats_ok() -> tuple[str, bool]:
        return "nats", bus.connected

    app.include_router(health_router([database_ok, nats_ok]))
    app.include_router(ops_router(settings.service_name))
    app.include_router(timeline_router(settings.service_name, timeline_entities))
    for router in routers:
        app.include_router(router)
    install_problem_responses(app)
    return app
