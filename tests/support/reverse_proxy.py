"""A small real reverse proxy, as an ingress controller behaves towards the gateway: it appends
the peer's address to `X-Forwarded-For` (nginx's `$proxy_add_x_forwarded_for`), sets
`X-Forwarded-Proto` to its own scheme whatever the client sent, and passes everything else on.

    python -m tests.support.reverse_proxy <listen port> <upstream base URL> <scheme: http|https>

`ReverseProxy(upstream, scheme)` runs it as a separate process on 127.0.0.1 (`with ... as proxy:
proxy.url`). It speaks plain HTTP to its clients: the scheme is what it claims to have
terminated, as a TLS-terminating ingress claims `https`.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

from aiohttp import ClientSession, ClientTimeout, web
from multidict import CIMultiDict

from tests.support.natsd import free_port

ROOT = Path(__file__).resolve().parents[2]
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "host", "content-length"}


def make_app(upstream: str, scheme: str) -> web.Application:
    async def start(app: web.Application) -> None:
        app["session"] = ClientSession(timeout=ClientTimeout(total=60), auto_decompress=False)

    async def stop(app: web.Application) -> None:
        await app["session"].close()

    async def forward(request: web.Request) -> web.StreamResponse:
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP]
        headers = [(k, v) for k, v in headers if k.lower() not in ("x-forwarded-for", "x-forwarded-proto")]
        sent = request.headers.getall("X-Forwarded-For", [])
        peer = request.remote or "-"
        headers.append(("X-Forwarded-For", ", ".join([*sent, peer])))
        headers.append(("X-Forwarded-Proto", scheme))
        headers.append(("X-Forwarded-Host", request.host))
        body = await request.read()
        session: ClientSession = request.app["session"]
        async with session.request(
            request.method, upstream + request.path_qs, headers=CIMultiDict(headers), data=body, allow_redirects=False
        ) as answer:
            payload = await answer.read()
            out = [(k, v) for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP]
            response = web.Response(status=answer.status, body=payload)
            for key, value in out:
                response.headers.add(key, value)
            return response

    app = web.Application()
    app.on_startup.append(start)
    app.on_cleanup.append(stop)
    app.router.add_route("*", "/{tail:.*}", forward)
    return app


class ReverseProxy:
    """The proxy as a child process listening on 127.0.0.1."""

    def __init__(self, upstream: str, scheme: str = "http") -> None:
        self.port = free_port()
        self.argv = [sys.executable, "-m", "tests.support.reverse_proxy", str(self.port), upstream, scheme]
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ReverseProxy:
        self.process = subprocess.Popen(self.argv, cwd=ROOT)
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.__exit__(None, None, None)
                    raise RuntimeError("the reverse proxy did not start") from None
                time.sleep(0.05)

    def __exit__(self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


if __name__ == "__main__":
    port, upstream, scheme = int(sys.argv[1]), sys.argv[2].rstrip("/"), sys.argv[3]
    web.run_app(make_app(upstream, scheme), host="127.0.0.1", port=port, print=None, access_log=None)
