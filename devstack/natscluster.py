"""A NATS cluster of three nodes on loopback, for `make run NATS=cluster`, `make chaos` with
`--nats cluster` and the tests: every node with JetStream, its own `server_name`, its own store
folder and config file, routes to the two others and a monitoring port (whose `/healthz`
answers 200 only once the node has found the meta leader and caught up with its streams).

Streams become replicated (R3) when the services are told so (`EDF_STREAM_REPLICAS=3`); a
JetStream cluster elects a meta leader before any stream can be created, which the services
wait for by retrying in the background (`shared.bus`).

Standard library and `shared.procs` only: like the rest of the local runner, no app code.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from devstack.procs import http_ok

HOST = "127.0.0.1"
CLUSTER_NAME = "edf-local"
NODES = 3
ROUTE_OFFSET = 100  # `make run NATS=cluster`: node i routes on client port + 100 + i
MONITOR_OFFSET = 4000  # and serves monitoring on client port + 4000 + i (14222 -> 18222)


@dataclass(frozen=True)
class NatsNode:
    name: str  # its server_name, and the name of its process in the stack
    client_port: int
    route_port: int
    monitor_port: int

    @property
    def url(self) -> str:
        return f"nats://{HOST}:{self.client_port}"

    @property
    def monitor(self) -> str:
        return f"http://{HOST}:{self.monitor_port}"

    def ports(self) -> tuple[int, int, int]:
        return self.client_port, self.route_port, self.monitor_port


def local_nodes(client_port: int, count: int = NODES) -> tuple[NatsNode, ...]:
    """Nodes on consecutive client ports from `client_port`, routes and monitoring at fixed offsets."""
    return tuple(
        NatsNode(f"nats-{i + 1}", client_port + i, client_port + ROUTE_OFFSET + i, client_port + MONITOR_OFFSET + i)
        for i in range(count)
    )


def nodes_on(ports: Sequence[int]) -> tuple[NatsNode, ...]:
    """Nodes on the given ports, three per node (client, route, monitoring): free ports of a test."""
    if len(ports) % 3:
        raise ValueError("three ports per node: client, route, monitoring")
    return tuple(NatsNode(f"nats-{i // 3 + 1}", *ports[i : i + 3]) for i in range(0, len(ports), 3))


def servers_url(nodes: Sequence[NatsNode]) -> str:
    """`EDF_NATS_URL` for the cluster: every node, comma-separated (see `shared.settings`)."""
    return ",".join(node.url for node in nodes)


def node_config(node: NatsNode, nodes: Sequence[NatsNode], store: Path, auth: bool = True) -> str:
    routes = ", ".join(f'"nats-route://{HOST}:{other.route_port}"' for other in nodes if other != node)
    return (
        f"server_name: {node.name}\n"
        f"host: {HOST}\n"
        f"port: {node.client_port}\n"
        f'http: "{HOST}:{node.monitor_port}"\n'
        f'jetstream {{ store_dir: "{store}" }}\n'
        + ('include "auth.conf"\n' if auth else "")  # the shipped authorization (devstack.natsauth)
        + "cluster {\n"
        f"  name: {CLUSTER_NAME}\n"
        f'  listen: "{HOST}:{node.route_port}"\n'
        f"  routes: [{routes}]\n"
        "}\n"
    )


def write_configs(nodes: Sequence[NatsNode], folder: Path, auth: bool = True) -> dict[str, Path]:
    """`<folder>/<node>.conf` and the store `<folder>/<node>/` of every node; returns the config files.
    `auth=False`: without the shipped authorization (EDF_DEV_NATS_AUTH=off, for measuring only)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for node in nodes:
        store = folder / node.name
        store.mkdir(exist_ok=True)
        path = folder / f"{node.name}.conf"
        path.write_text(node_config(node, nodes, store.resolve(), auth))
        written[node.name] = path
    return written


def node_argv(binary: str, config: Path) -> list[str]:
    return [binary, "-c", str(config)]


def jetstream_ready(node: NatsNode) -> Callable[[], bool]:
    """The node's `/healthz`: 200 once it knows the meta leader and its streams are current."""
    return http_ok(f"{node.monitor}/healthz")


def meta_leader(nodes: Sequence[NatsNode]) -> str | None:
    """The `server_name` of the JetStream meta leader, as the first node that answers sees it."""
    for node in nodes:
        try:
            meta = httpx.get(f"{node.monitor}/jsz", timeout=1.0).json().get("meta_cluster") or {}
        except (httpx.HTTPError, ValueError):
            continue
        if leader := meta.get("leader"):
            return str(leader)
    return None
