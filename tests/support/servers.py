"""Small servers for tests: an ASGI app served by uvicorn in a thread, an echo app that
reports what it received, and a listener that accepts connections and never answers."""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import time
from types import TracebackType

import uvicorn
from starlette.types import Receive, Scope, Send

from tests.support.natsd import free_port


class ServerThread:
    """`with ServerThread(app) as server: httpx.get(server.url + ...)`; lifespan runs."""

    def __init__(self, app: object, port: int | None = None, *, proxy_headers: bool = True) -> None:
        """`proxy_headers=False` as the gateway is served (it reads X-Forwarded-* itself)."""
        self.port = port or free_port()
        config = uvicorn.Config(
            app,  # type: ignore[arg-type]
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="on",
            proxy_headers=proxy_headers,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name=f"uvicorn-{self.port}", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(20)


class SilentServer:
    """Accepts TCP connections (through the listen backlog) and never answers a request."""

    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(64)
        self.port = int(self.socket.getsockname()[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> SilentServer:
        return self

    def __exit__(self, _t: type[BaseException] | None, _e: BaseException | None, _tb: TracebackType | None) -> None:
        self.socket.close()


async def echo_app(scope: Scope, receive: Receive, send: Send) -> None:
    """Answers every request with JSON: method, path, raw path, query, headers, body size and hash."""
    if scope["type"] == "lifespan":
        while True:
            if (await receive())["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return
    digest = hashlib.sha256()
    size = 0
    while True:
        message = await receive()
        body = message.get("body", b"")
        size += len(body)
        digest.update(body)
        if not message.get("more_body"):
            break
    headers: list[list[str]] = [[k.decode("latin-1"), v.decode("latin-1")] for k, v in scope["headers"]]
    payload = json.dumps(
        {
            "method": scope["method"],
            "path": scope["path"],
            "raw_path": scope["raw_path"].decode("latin-1"),
            "query": scope["query_string"].decode("latin-1"),
            "headers": headers,
            "size": size,
            "sha256": digest.hexdigest(),
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                (b"x-multi", b"one"),
                (b"x-multi", b"two"),
                (b"keep-alive", b"timeout=5"),
                (b"proxy-agent", b"echo"),
                (b"x-echo-request-id", dict(scope["headers"]).get(b"x-request-id", b"-")),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
