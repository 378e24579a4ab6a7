"""Free TCP ports on loopback for the stacks, servers and clusters started on this machine."""

from __future__ import annotations

import socket


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def free_ports(count: int) -> list[int]:
    """`count` different free ports (held open together while chosen, so they differ)."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [int(s.getsockname()[1]) for s in sockets]
    finally:
        for s in sockets:
            s.close()


def distinct_ports(names: tuple[str, ...]) -> dict[str, str]:
    """A different free port for each variable in `names`, as environment values."""
    return {name: str(port) for name, port in zip(names, free_ports(len(names)), strict=True)}
