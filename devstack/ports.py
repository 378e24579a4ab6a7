"""Free TCP ports on loopback for the stacks, servers and clusters started on this machine.

Chosen at random below the ephemeral range (Linux gives client sockets 32768-60999, macOS
49152-65535): a port the OS would hand to any outgoing connection can be taken between the
moment it is chosen and the moment a server binds it (seen with tests running in parallel),
one of these only by another server choosing the same port, which is unlikely at random.
"""

from __future__ import annotations

import random
import socket

LOWEST, HIGHEST = 20000, 32767
_random = random.SystemRandom()


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_ports(count: int) -> list[int]:
    """`count` different ports that nothing listens on now."""
    chosen: list[int] = []
    while len(chosen) < count:
        port = _random.randint(LOWEST, HIGHEST)
        if port not in chosen and _bindable(port):
            chosen.append(port)
    return chosen


def free_port() -> int:
    return free_ports(1)[0]


def distinct_ports(names: tuple[str, ...]) -> dict[str, str]:
    """A different free port for each variable in `names`, as environment values."""
    return {name: str(port) for name, port in zip(names, free_ports(len(names)), strict=True)}
