"""The reverse proxy: each `/api/v1` path not served by the gateway goes to one service.

One pooled `aiohttp.ClientSession` (made in the lifespan) carries every upstream request: its
connection pool costs little per request, where httpx's scanned every pooled connection on each
request and was most of the gateway's CPU under load (docs/benchmarks.md). Small bodies are
sent and returned whole, larger ones stream both ways; hop-by-hop headers stay on their hop;
`Authorization` passes as is (the services verify tokens themselves), `X-Request-ID` carries
the gateway's request id and `traceparent` the gateway's span (tracing on: one trace).
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import httpx
from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from multidict import CIMultiDict
from starlette.background import BackgroundTask
from yarl import URL

from gateway.settings import Settings
from shared.errors import NotFound
from shared.http import CORRELATION_ID, REQUEST_ID
from shared.logs import correlation_id_var, request_id_var
from shared.problems import problem
from shared.tracing import TRACE_HEADERS, current_trace_headers

log = logging.getLogger("edf.gateway.proxy")


@dataclass(frozen=True)
class ProxyRoute:
    pattern: re.Pattern[str]
    upstream: str


def _route(pattern: str, upstream: str) -> ProxyRoute:
    return ProxyRoute(re.compile(pattern), upstream)


# Path → upstream service; the first match wins, so specific rows come before general ones.
ROUTES: list[ProxyRoute] = [
    _route(r"^/api/v1/calls/[^/]+/(ranking|selection|decisions|decisions/proposals|decisions/recusals)$", "scoring"),
    _route(r"^/api/v1/calls/[^/]+/(ledger|payments\.xml|payment-batches)$", "disbursement"),
    _route(r"^/api/v1/calls/[^/]+/(indicators|dashboard|export\..+)$", "monitoring"),
    _route(r"^/api/v1/(calls|applications)(/.*)?$", "applications"),
    _route(r"^/api/v1/reviews(/.*)?$", "scoring"),
    _route(r"^/api/v1/grants/[^/]+/(monitoring|visits|milestones|flags)(/.*)?$", "monitoring"),
    _route(r"^/api/v1/flags(/.*)?$", "monitoring"),
    _route(r"^/api/v1/(grants|tranches|payments|payment-batches)(/.*)?$", "disbursement"),
    _route(r"^/api/v1/ops/applications/.*$", "applications"),
    _route(r"^/api/v1/ops/scoring/.*$", "scoring"),
    _route(r"^/api/v1/ops/disbursement/.*$", "disbursement"),
    _route(r"^/api/v1/ops/monitoring/.*$", "monitoring"),
]

HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "te", "trailer", "trailers", "transfer-encoding", "upgrade", "host"}
)
# Set by this hop: the gateway's middleware and server add their own.
RESPONSE_OWN = frozenset({"x-request-id", "date", "server"})
REQUEST_OWN = frozenset(
    {REQUEST_ID, CORRELATION_ID, "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", *TRACE_HEADERS}
)
PROXIED_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
# An idle pooled connection is dropped before the service's own keep-alive (uvicorn: 5 s) ends it,
# so that a request is never sent on a connection the service is closing (a 502 otherwise).
UPSTREAM_KEEPALIVE_SECONDS = 3.0
# Bodies up to this size go whole (one write, no streaming machinery); larger ones stream.
WHOLE_BODY_BYTES = 256 * 1024
SKIP_AUTO_HEADERS = frozenset({"User-Agent", "Accept", "Accept-Encoding", "Content-Type"})


def upstream_for(path: str) -> str | None:
    """The service that serves `path`, or None when no service does."""
    if any(segment in (".", "..") for segment in path.split("/")):
        return None
    for route in ROUTES:
        if route.pattern.match(path):
            return route.upstream
    return None


def make_client(settings: Settings) -> httpx.AsyncClient:
    timeout = httpx.Timeout(
        connect=settings.upstream_connect_timeout,
        read=settings.upstream_read_timeout,
        write=settings.upstream_read_timeout,
        pool=settings.upstream_pool_timeout,
    )
    limits = httpx.Limits(
        max_connections=settings.upstream_max_connections,
        max_keepalive_connections=settings.upstream_max_connections,
        keepalive_expiry=UPSTREAM_KEEPALIVE_SECONDS,
    )
    client = httpx.AsyncClient(timeout=timeout, limits=limits, follow_redirects=False, trust_env=False)
    for name in list(client.headers.keys()):  # no default Accept-Encoding, User-Agent…: pass the caller's
        del client.headers[name]
    return client


def make_upstream_session(settings: Settings) -> aiohttp.ClientSession:
    """The proxy's pooled client: no cookies, no decompression, no headers of its own."""
    connector = aiohttp.TCPConnector(
        limit=settings.upstream_max_connections,
        limit_per_host=0,
        keepalive_timeout=UPSTREAM_KEEPALIVE_SECONDS,
        use_dns_cache=True,
    )
    timeout = aiohttp.ClientTimeout(
        total=None,
        sock_connect=settings.upstream_connect_timeout,
        connect=settings.upstream_pool_timeout + settings.upstream_connect_timeout,
        sock_read=settings.upstream_read_timeout,
    )
    return aiohttp.ClientSession(
        connector=connector,
        timeout=timeout,
        auto_decompress=False,
        trust_env=False,
        cookie_jar=aiohttp.DummyCookieJar(),
        skip_auto_headers=SKIP_AUTO_HEADERS,
        raise_for_status=False,
    )


def _connection_listed(headers: list[tuple[bytes, bytes]]) -> set[str]:
    """Header names that a `Connection` header declares hop-by-hop as well."""
    listed: set[str] = set()
    for name, value in headers:
        if name.lower() == b"connection":
            listed |= {token.strip().lower() for token in value.decode("latin-1").split(",")}
    return listed


def _end_to_end(headers: list[tuple[bytes, bytes]], own: frozenset[str]) -> list[tuple[bytes, bytes]]:
    skip = HOP_BY_HOP | own | _connection_listed(headers)
    kept = []
    for name, value in headers:
        key = name.decode("latin-1").lower()
        if key not in skip and not key.startswith("proxy-"):
            kept.append((name, value.strip(b" \t")))  # whitespace around a value is not part of it
    return kept


def _request_headers(request: Request) -> list[tuple[bytes, bytes]]:
    headers = _end_to_end(list(request.headers.raw), REQUEST_OWN)
    request_id = request_id_var.get()
    correlation_id = correlation_id_var.get()
    if request_id:
        headers.append((REQUEST_ID.encode(), request_id.encode()))
    if correlation_id:
        headers.append((CORRELATION_ID.encode(), correlation_id.encode()))
    headers += [(name.encode(), value.encode("latin-1")) for name, value in current_trace_headers().items()]
    if request.client is not None:
        headers.append((b"x-forwarded-for", request.client.host.encode("latin-1")))
    headers.append((b"x-forwarded-proto", request.url.scheme.encode("latin-1")))
    if host := request.headers.get("host"):
        headers.append((b"x-forwarded-host", host.encode("latin-1")))
    return headers


class _Streamed:
    """A request body streamed on; what stopped reading it (e.g. the size limit's 413) is kept,
    since aiohttp reports it only as a broken connection."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.error: Exception | None = None

    async def chunks(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self.request.stream():
                if chunk:
                    yield chunk
        except Exception as exc:
            self.error = exc
            raise


async def _request_content(request: Request, streamed: _Streamed) -> bytes | AsyncIterator[bytes] | None:
    """The body to send on: whole when it is announced small, else streamed; None without one."""
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) <= WHOLE_BODY_BYTES:
        return await request.body()
    if length is not None or "transfer-encoding" in request.headers:
        return streamed.chunks()
    return None


def _target(base: str, request: Request) -> str:
    raw_path: bytes = request.scope.get("raw_path") or request.url.path.encode()
    query: bytes = request.scope.get("query_string", b"")
    return base + raw_path.decode("latin-1") + ("?" + query.decode("latin-1") if query else "")


async def forward(request: Request, session: aiohttp.ClientSession, name: str, base: str) -> Response:
    """Sends the request to the service `name` at `base` and returns its answer.

    The service not answering in time (to connect or to respond) is a 504; a refused or
    broken connection a 502. A body passing the size limit stops the request (413, from
    `gateway.limits`).
    """
    headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in _request_headers(request)]
    streamed = _Streamed(request)
    try:
        upstream = await session.request(
            request.method,
            URL(_target(base, request), encoded=True),
            headers=CIMultiDict(headers),
            data=await _request_content(request, streamed),
            allow_redirects=False,
            compress=None,
        )
        try:
            small = upstream.content_length is not None and upstream.content_length <= WHOLE_BODY_BYTES
            body = await upstream.read() if small else None
        except BaseException:
            upstream.release()
            raise
    except TimeoutError as exc:  # aiohttp's connect and read timeouts are TimeoutErrors
        log.warning("upstream timed out", extra={"upstream": name, "error": type(exc).__name__})
        return problem(504, f"The {name} service did not answer in time.")
    except (ValueError, aiohttp.InvalidURL) as exc:  # what the client sent cannot be sent on (a header)
        log.info("request not forwardable", extra={"upstream": name, "error": type(exc).__name__})
        return problem(400, "The request cannot be forwarded: a header is malformed.")
    except (aiohttp.ClientError, OSError) as exc:
        if streamed.error is not None:
            raise streamed.error from exc
        log.warning("upstream unreachable", extra={"upstream": name, "error": type(exc).__name__})
        return problem(502, f"The {name} service is not reachable.")
    raw_headers = [_relative_location(k, v, base) for k, v in _end_to_end(list(upstream.raw_headers), RESPONSE_OWN)]
    if body is not None:
        response = Response(body, status_code=upstream.status)
    else:
        response = StreamingResponse(
            _relay(upstream), status_code=upstream.status, background=BackgroundTask(_release, upstream)
        )
    response.raw_headers = raw_headers
    return response


async def _relay(upstream: aiohttp.ClientResponse) -> AsyncIterator[bytes]:
    """The upstream body as it comes; the connection goes back to the pool even if the caller leaves."""
    try:
        async for chunk in upstream.content.iter_chunked(64 * 1024):
            yield chunk
    finally:
        upstream.release()


async def _release(upstream: aiohttp.ClientResponse) -> None:
    upstream.release()


def _relative_location(name: bytes, value: bytes, base: str) -> tuple[bytes, bytes]:
    """A redirect to the upstream's own address becomes a path on the gateway."""
    if name.lower() == b"location" and value.startswith(base.encode("latin-1") + b"/"):
        return name, value[len(base) :]
    return name, value


def proxy_router(settings: Settings) -> APIRouter:
    """The catch-all route; include it after the gateway's own routes so that they win."""
    router = APIRouter()
    upstreams = settings.upstreams()

    @router.api_route("/api/v1/{path:path}", methods=PROXIED_METHODS, include_in_schema=False)
    async def proxy(request: Request) -> Response:
        name = upstream_for(request.url.path)
        if name is None:
            raise NotFound("There is nothing at this address.")
        session: aiohttp.ClientSession = request.app.state.upstream
        return await forward(request, session, name, upstreams[name])

    return router
