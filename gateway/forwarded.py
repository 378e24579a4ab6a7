"""The gateway behind an ingress: the client's address and scheme from trusted proxies, and HSTS.

`EDF_TRUSTED_PROXIES` lists the addresses or CIDR ranges of the proxies in front of the gateway
(an ingress controller, a load balancer, a TLS reverse proxy). Only when the peer of a request
is one of them do `X-Forwarded-For` and `X-Forwarded-Proto` count: the client is the rightmost
address of `X-Forwarded-For` that is not a trusted proxy (what a client writes into the header
itself stays to the left of what its proxies appended, so it cannot choose its address), and
the scheme is what the nearest proxy says. Every limit keyed by address (`gateway.limits`, the
pages), the proxy's own `X-Forwarded-For` to the services and the access log then see the client.

uvicorn's own proxy-header handling is off for the gateway (`--no-proxy-headers`): this module
is the one place that decides.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_address(text: str) -> Address | None:
    """An address as proxies write them: `1.2.3.4`, `1.2.3.4:5678`, `::1`, `[::1]:5678`."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:  # IPv4 with a port
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


@dataclass(frozen=True)
class TrustedProxies:
    networks: tuple[Network, ...]

    @classmethod
    def parse(cls, text: str) -> TrustedProxies:
        """`"10.0.0.0/8, 192.168.1.7, ::1"`; empty: no proxy is trusted. `*` is refused: trusting
        every peer lets any client choose its address."""
        networks = []
        for part in (p.strip() for p in text.split(",")):
            if not part:
                continue
            if part == "*":
                raise ValueError("EDF_TRUSTED_PROXIES: '*' would let any client choose its address; list CIDR ranges")
            try:
                networks.append(ipaddress.ip_network(part, strict=False))
            except ValueError:
                raise ValueError(f"EDF_TRUSTED_PROXIES: {part!r} is not an address or CIDR range") from None
        return cls(tuple(networks))

    def __contains__(self, address: object) -> bool:
        if isinstance(address, str):
            address = parse_address(address)
        if not isinstance(address, ipaddress.IPv4Address | ipaddress.IPv6Address):
            return False
        return any(address.version == net.version and address in net for net in self.networks)

    def client(self, peer: str, forwarded_for: Iterable[str]) -> str:
        """The client's address: the peer's own unless it is trusted, else the rightmost
        untrusted hop of `X-Forwarded-For` (the leftmost when every hop is trusted)."""
        if peer not in self:
            return peer
        hops = [hop.strip() for value in forwarded_for for hop in value.split(",") if hop.strip()]
        nearest = peer
        for hop in reversed(hops):
            address = parse_address(hop)
            if address is None:  # not an address: no hop further left can be believed
                return nearest
            nearest = str(address)
            if address not in self:
                return nearest
        return nearest


class ForwardedMiddleware:
    """Sets the scope's `client` and `scheme` from a trusted proxy's `X-Forwarded-*` headers."""

    def __init__(self, app: ASGIApp, trusted: TrustedProxies) -> None:
        self.app = app
        self.trusted = trusted

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and scope.get("client"):
            host, port = scope["client"]
            if host in self.trusted:
                forwarded = [v.decode("latin-1") for k, v in scope["headers"] if k == b"x-forwarded-for"]
                client = self.trusted.client(host, forwarded)
                scope["client"] = (client, port if client == host else 0)
                protos = [v.decode("latin-1") for k, v in scope["headers"] if k == b"x-forwarded-proto"]
                proto = protos[-1].split(",")[-1].strip().lower() if protos else ""
                if proto in ("http", "https"):
                    secure = proto == "https"
                    if scope["type"] == "websocket":
                        scope["scheme"] = "wss" if secure else "ws"
                    else:
                        scope["scheme"] = proto
        await self.app(scope, receive, send)


class HstsMiddleware:
    """`Strict-Transport-Security` on every answer served over HTTPS (the scheme as the trusted
    proxy said it, or the gateway's own TLS); never over plain HTTP, where it means nothing and
    would be a lie about the connection."""

    def __init__(self, app: ASGIApp, max_age: int) -> None:
        self.app = app
        self.value = f"max-age={max_age}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("scheme") != "https":
            await self.app(scope, receive, send)
            return

        async def send_with_hsts(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Strict-Transport-Security", self.value)
            await send(message)

        await self.app(scope, receive, send_with_hsts)
