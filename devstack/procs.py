"""Child processes of the local stack (`devstack.stack`): each in its own process group, its
output prefixed with its name, stopped with SIGTERM and then SIGKILL after a timeout.

Standard library and httpx only: the runner imports nothing of the apps it runs.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from pathlib import Path
from typing import Any

import httpx

PREFIX_WIDTH = 12
_output_lock = threading.Lock()


def say(name: str, text: str) -> None:
    """Writes `text` line by line as `name         | line`, whole lines at a time."""
    lines = text.splitlines() or [""]
    with _output_lock:
        for line in lines:
            sys.stdout.write(f"{name:<{PREFIX_WIDTH}} | {line}\n")
        sys.stdout.flush()


class Child:
    """One process of the stack. `ready` answers whether it can serve (polled, must be quick)."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        env: dict[str, str],
        cwd: Path,
        ready: Callable[[], bool],
        log: Path | None = None,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.env = env
        self.cwd = cwd
        self.ready = ready
        self.log = log  # when set, the output is appended to this file instead of prefixed on stdout
        self.process: subprocess.Popen[bytes] | None = None
        self._pump: threading.Thread | None = None

    def start(self) -> None:
        # Its own process group: a Ctrl-C in the terminal reaches the runner only, which then
        # stops the children in order (the gateway first, NATS last).
        if self.log is not None:
            with self.log.open("ab") as output:
                self.process = subprocess.Popen(
                    self.argv,
                    cwd=self.cwd,
                    env=self.env,
                    stdin=subprocess.DEVNULL,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    process_group=0,
                )
            return
        self.process = subprocess.Popen(
            self.argv,
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            process_group=0,
        )
        self._pump = threading.Thread(target=self._copy_output, name=f"{self.name}-output", daemon=True)
        self._pump.start()

    def _copy_output(self) -> None:
        if self.process is None or self.process.stdout is None:
            return
        for raw in iter(self.process.stdout.readline, b""):
            say(self.name, raw.decode("utf-8", errors="replace").rstrip("\r\n"))

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def exit_code(self) -> int | None:
        """None while it runs (or before it started)."""
        return self.process.poll() if self.process is not None else None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def signal(self, sig: signal.Signals) -> None:
        if self.process is None:
            return
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, sig)

    def wait(self, timeout: float) -> bool:
        """True when the process has exited within `timeout` seconds."""
        if self.process is None:
            return True
        try:
            self.process.wait(max(timeout, 0))
        except subprocess.TimeoutExpired:
            return False
        return True

    def finish_output(self, timeout: float = 2.0) -> None:
        if self._pump is not None:
            self._pump.join(timeout)


def stop_all(children: Sequence[Child], timeout: float = 10.0) -> None:
    """SIGTERM to every child still running, SIGKILL to those still running after `timeout`."""
    alive = [c for c in children if c.running]
    for child in alive:
        child.signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for child in alive:
        if not child.wait(deadline - time.monotonic()):
            say("stack", f"{child.name} did not stop within {timeout:.0f}s: killing it")
            child.signal(signal.SIGKILL)
            child.wait(5.0)
    for child in children:
        child.finish_output()


def interrupt_stack(process: subprocess.Popen[Any], grace: float = 30.0) -> None:
    """Stops a whole stack started with `start_new_session=True` as Ctrl-C would (SIGINT: the
    runner stops its children in order), then its process group by SIGKILL after `grace` s."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return True
    return False


def tcp_open(host: str, port: int) -> Callable[[], bool]:
    def check() -> bool:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            return False

    return check


def http_ok(url: str) -> Callable[[], bool]:
    """`url` answers 200 (a NATS node's `/healthz`, once it has JetStream and a meta leader)."""

    def check() -> bool:
        try:
            return httpx.get(url, timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False

    return check


def ready_and_connected(url: str) -> Callable[[], bool]:
    """An app's `/readyz` answers 200 and says it is connected to NATS: `/readyz` stays 200
    while NATS alone is away, but a stack that starts waits for the broker as well."""

    def check() -> bool:
        try:
            response = httpx.get(url, timeout=1.0)
            return response.status_code == 200 and response.json().get("nats") == "connected"
        except (httpx.HTTPError, ValueError):
            return False

    return check


def wait_until_ready(children: Sequence[Child], timeout: float, stop: threading.Event) -> str | None:
    """Polls every child's readiness until all are ready. Returns None when they are (or when a
    stop was requested), otherwise what went wrong: which child exited or is not ready."""
    pending = list(children)
    deadline = time.monotonic() + timeout
    while pending and not stop.is_set():
        for child in list(pending):
            code = child.exit_code()
            if code is not None:
                return f"{child.name} exited with code {code} before it was ready"
            if child.ready():
                pending.remove(child)
        if pending and time.monotonic() > deadline:
            names = ", ".join(c.name for c in pending)
            return f"not ready after {timeout:.0f}s: {names}"
        if pending:
            stop.wait(0.1)
    return None
