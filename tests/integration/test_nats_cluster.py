"""The three-node NATS cluster of `make run NATS=cluster` and `make chaos --nats cluster`, started
by the runner's own code (`devstack.stack.nats_children`, `devstack.natscluster`): the services' bus,
given every node, creates every stream with 3 replicas once the meta leader is elected; a start
with the default of 1 replica does not lower them; and with the leader of a stream SIGKILLed,
events go on being published (with their `Nats-Msg-Id`, retried as the outbox relay retries) and
consumed from a durable consumer: none lost, none stored twice."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from nats.errors import Error as NatsError
from nats.errors import TimeoutError as NatsTimeout
from nats.js.errors import Error as JetStreamError

from devstack.natsauth import ops_url
from devstack.natscluster import NatsNode, nodes_on, servers_url
from devstack.ports import free_ports
from devstack.procs import Child, stop_all, wait_until_ready
from devstack.stack import load_config, nats_children
from shared.bus import Bus
from shared.settings import nats_servers
from shared.topology import PRODUCERS, ensure_streams, stream_name

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]

STREAM = stream_name("applications")
SUBJECT = "edf.applications.cluster.probe.v1"  # on EDF_APPLICATIONS; no service consumes it
EVENTS = 60  # before the kill, and as many after it


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[tuple[tuple[NatsNode, ...], dict[str, Child]]]:
    nodes = nodes_on(free_ports(9))
    config = replace(load_config({"EDF_VAR_DIR": str(tmp_path)}, "cluster"), nats_nodes=nodes)
    children = nats_children(config, dict(os.environ))
    for child in children:
        child.log = tmp_path / f"{child.name}.log"
        child.start()
    try:
        problem = wait_until_ready(children, 60.0, threading.Event())
        assert problem is None, problem
        yield nodes, {child.name: child for child in children}
    finally:
        stop_all(children)


def test_the_nats_url_names_one_server_or_every_node() -> None:
    assert nats_servers("nats://a:1") == ["nats://a:1"]
    assert nats_servers(" nats://a:1, nats://b:2 ,") == ["nats://a:1", "nats://b:2"]
    with pytest.raises(ValueError, match="no NATS server"):
        nats_servers(" , ")


async def _publish(bus: Bus, number: int, deadline: float) -> None:
    """Until acknowledged, with the same message id each time (what the relay does)."""
    while True:
        try:
            await bus.js.publish(SUBJECT, str(number).encode(), headers={"Nats-Msg-Id": f"probe-{number}"})
            return
        except (NatsError, JetStreamError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)


async def test_streams_have_three_replicas_and_survive_a_sigkilled_leader(
    cluster: tuple[tuple[NatsNode, ...], dict[str, Child]], tmp_path: Path
) -> None:
    nodes, children = cluster
    # the nodes run with the shipped users (devstack.natsauth): as the operators' user here
    bus = Bus(ops_url(servers_url(nodes), tmp_path / "nats"), "cluster-test", stream_replicas=3)
    bus.start()
    try:
        await bus.wait_ready(60.0)
        for producer in PRODUCERS:
            info = await bus.js.stream_info(stream_name(producer))
            assert info.config.num_replicas == 3
            assert info.cluster is not None and len(info.cluster.replicas or []) == 2
        await ensure_streams(bus.js, 1)  # a service started with the default: R3 stays R3
        assert all([(await bus.js.stream_info(stream_name(p))).config.num_replicas == 3 for p in PRODUCERS])

        deadline = time.monotonic() + 45
        subscription = await bus.js.pull_subscribe(SUBJECT, durable="cluster-probe", stream=STREAM)
        for number in range(EVENTS):
            await _publish(bus, number, deadline)
        info = await bus.js.stream_info(STREAM)
        assert info.cluster is not None and info.cluster.leader in children
        children[info.cluster.leader].signal(signal.SIGKILL)
        assert children[info.cluster.leader].wait(10.0)
        for number in range(EVENTS, 2 * EVENTS):
            await _publish(bus, number, deadline)

        received: set[int] = set()
        while len(received) < 2 * EVENTS and time.monotonic() < deadline:
            try:
                messages = await subscription.fetch(50, timeout=2.0)
            except (NatsTimeout, TimeoutError, JetStreamError):
                continue
            for message in messages:
                received.add(int(message.data))
                await message.ack()
        assert received == set(range(2 * EVENTS))
        info = await bus.js.stream_info(STREAM)
        assert info.state.messages == 2 * EVENTS  # none stored twice
        assert info.cluster is not None and info.cluster.leader not in (None, "")
    finally:
        await bus.close()
