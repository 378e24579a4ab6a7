"""The gateway app: accounts and tokens, the merged OpenAPI document, and the proxy."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from gateway import handlers, proxy
from gateway.api import jwks_router
from gateway.api import router as api_router
from gateway.forwarded import ForwardedMiddleware, HstsMiddleware, TrustedProxies
from gateway.limits import BodyLimitMiddleware, RateLimiter, RateLimitMiddleware, api_limits
from gateway.mfa_api import router as mfa_router
from gateway.models import INFRA
from gateway.openapi import OpenAPIMerger, openapi_router
from gateway.settings import Settings
from gateway.signin import AccountThrottle, SignInGuard, pepper
from gateway.timeline import router as timeline_router
from gateway.web import install_web
from shared.app import database_probe, health_router, nats_probe, token_config
from shared.bus import Bus
from shared.db import Database, make_engine
from shared.http import RequestContextMiddleware
from shared.logs import configure_logging
from shared.metrics import MetricsListener, ProcessMetrics
from shared.nats_auth import owned_streams
from shared.problems import install_error_handlers
from shared.relay import OutboxRelay
from shared.settings import nats_login
from shared.telemetry import install_telemetry
from shared.tracing import configure_tracing


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging(settings.service_name, settings.log_level)
    configure_tracing(settings.service_name)
    db = Database(engine=make_engine(settings.database_url), infra=INFRA, source=f"/edf/{settings.service_name}")
    bus = Bus(
        settings.nats_url,
        settings.service_name,
        settings.stream_replicas,
        login=nats_login(settings),
        streams=owned_streams("gateway"),
    )
    relay = OutboxRelay(db, bus)
    metrics = ProcessMetrics(db, bus)
    # The gateway's metrics on a port of their own: its public listener serves none.
    metrics_listener = MetricsListener(metrics, settings.metrics_host, settings.metrics_port)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.http = proxy.make_client(settings)  # the gateway's own calls: pages, timeline, OpenAPI
        app.state.upstream = proxy.make_upstream_session(settings)  # the proxy's
        bus.start()
        relay.start()  # publishes user events (other services keep e.g. the list of officers)
        metrics_listener.start()
        try:
            email, password = settings.bootstrap_admin_email, settings.bootstrap_admin_password
            if email and password is not None:
                await asyncio.to_thread(handlers.bootstrap_admin, db, email, password.get_secret_value())
            yield
        finally:
            metrics_listener.stop()
            await app.state.http.aclose()
            await app.state.upstream.close()
            await relay.stop()
            await bus.close()
            db.engine.dispose()

    app = FastAPI(
        title="EDF Grants",
        version="1.0.0",
        description="Grant management for an Enterprise Development Fund: one API for every service.",
        lifespan=lifespan,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.db = db
    if settings.jwt_private_key_file is None:
        raise ValueError("EDF_JWT_PRIVATE_KEY_FILE is not set: the gateway's token signing key (docs/deploy.md)")
    app.state.token_config = token_config(settings, settings.jwt_private_key_file)
    app.state.login_limiter = RateLimiter(settings.login_rate_limit, settings.login_rate_window_seconds)
    throttle = AccountThrottle(
        settings.login_account_failures,
        settings.login_account_delay_seconds,
        settings.login_account_max_delay_seconds,
        settings.login_account_forget_seconds,
    )
    app.state.sign_in_guard = SignInGuard(throttle, pepper(app.state.token_config), metrics.registry)
    app.add_middleware(RateLimitMiddleware, limits=api_limits(settings), token_config=app.state.token_config)
    app.add_middleware(
        BodyLimitMiddleware, max_bytes=settings.max_request_bytes, max_json_bytes=settings.max_json_bytes
    )
    app.add_middleware(RequestContextMiddleware)
    if settings.hsts_max_age_seconds:
        app.add_middleware(HstsMiddleware, max_age=settings.hsts_max_age_seconds)
    # Outermost: every other layer (limits, access log, pages, proxy) sees the real client.
    app.add_middleware(ForwardedMiddleware, trusted=TrustedProxies.parse(settings.trusted_proxies))
    install_telemetry(app, metrics, serve_metrics=False)
    install_error_handlers(app)
    # The gateway's own database only: a service that is down makes its routes answer 502 (and
    # its own `/readyz` fail), not the whole API, so sign-in and the other services stay in the
    # load balancer and the stack can start before every service exists. NATS is reported
    # (the relay publishes user events) but, as for the services, does not fail readiness.
    app.include_router(health_router([database_probe(db)], [nats_probe(bus)]))
    app.include_router(openapi_router(OpenAPIMerger(settings.upstreams(), settings.openapi_cache_seconds)))
    app.include_router(api_router)
    app.include_router(mfa_router)
    app.include_router(jwks_router)
    app.include_router(timeline_router)
    install_web(app, settings)  # the applicants' pages: /, /apply/{code}, /status, /static
    app.include_router(proxy.proxy_router(settings))  # last: the gateway's own routes win
    return app
