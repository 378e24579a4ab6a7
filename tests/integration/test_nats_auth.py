"""NATS identities and permissions against a real nats-server running the shipped
`deploy/nats/auth.conf` (tests.support.natsd): who may connect, publish, read and delete what.

A publish the server refuses is not an error of the publish call: the server reports it
asynchronously (`error_cb`, "Permissions Violation") and a JetStream publish then gets no
acknowledgement. `Client.refused` waits for that report of the subject; a refused request
(a JetStream API call) is reported the same way and times out."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import nats
import pytest
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, StreamConfig

from shared.bus import Bus
from shared.inbox import ConsumerPolicy, consumers_for
from shared.migrate import APPS, upgrade
from shared.nats_auth import APP_USERS, FINANCE, OPS, READER, USERS, consumed, owned_streams
from shared.relay import headers_for
from shared.topology import ensure_streams, stream_for_subject
from tests.integration.test_finance_sim import INSTRUCTED, instructed_payload
from tests.support.apps import wait_until
from tests.support.disbursement import finance_sim_process, sim_payments
from tests.support.jetstream import consumer_settled, create_streams, publish, stream_messages, with_js
from tests.support.natsd import NatsServer

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]
T = TypeVar("T")
FAILED = "edf.finance.payment.failed.v1"
REFUSED = 1.5  # seconds to wait for the server's report of a refused operation


class Client:
    """A connection as one user, collecting the errors the server reports asynchronously."""

    def __init__(self, server: NatsServer, user: str) -> None:
        self.server = server
        self.user = user
        self.errors: list[str] = []
        self.nc: NatsClient | None = None

    async def __aenter__(self) -> Client:
        async def collect(exc: Exception) -> None:
            self.errors.append(str(exc))

        self.nc = await nats.connect(
            self.server.address,
            error_cb=collect,
            max_reconnect_attempts=0,
            **self.server.login(self.user).connect_options(),
        )
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self.nc is not None
        await self.nc.close()

    @property
    def js(self) -> JetStreamContext:
        assert self.nc is not None
        return self.nc.jetstream(timeout=REFUSED)

    def violations(self, subject: str) -> list[str]:
        return [e for e in self.errors if "permissions violation" in e.lower() and subject.lower() in e.lower()]

    async def refused(self, subject: str, action: Callable[[], Awaitable[Any]]) -> None:
        """`action` fails (no ack, no answer) and the server reports a permissions violation of `subject`."""
        with pytest.raises(Exception):  # noqa: B017  (a timeout or no responders: never a success)
            await action()
        for _ in range(40):
            if self.violations(subject):
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"{self.user}: no permissions violation for {subject}: {self.errors}")


def run(action: Callable[[], Awaitable[T]]) -> T:
    return asyncio.run(action())  # type: ignore[arg-type]


@pytest.fixture
def server(own_nats: NatsServer) -> NatsServer:
    create_streams(own_nats.url)  # as ops: every stream, as the apps would have made them
    return own_nats


def test_without_credentials_or_with_a_wrong_password_the_server_refuses(server: NatsServer) -> None:
    async def connect(**options: Any) -> None:
        nc = await nats.connect(server.address, max_reconnect_attempts=0, allow_reconnect=False, **options)
        await nc.close()

    attempts: list[dict[str, Any]] = [{}, {"user": FINANCE, "password": "wrong"}, {"user": "nobody", "password": "x"}]
    for options in attempts:
        with pytest.raises(Exception, match=r"(?i)authorization violation"):
            asyncio.run(connect(**options))


def test_finance_cannot_publish_disbursement_events(server: NatsServer) -> None:
    before = len(stream_messages(server.url, "EDF_DISBURSEMENT"))

    async def check() -> None:
        async with Client(server, FINANCE) as finance:
            payload = instructed_payload(uuid.uuid4())
            await finance.refused(INSTRUCTED, lambda: finance.js.publish(INSTRUCTED, payload))
            subject = "edf.disbursement.tranche.paid.v1"
            await finance.refused(subject, lambda: finance.js.publish(subject, b"{}"))
            # its own subjects it may publish
            ack = await finance.js.publish(FAILED, b"{}", headers={"Nats-Msg-Id": uuid.uuid4().hex})
            assert ack.stream == "EDF_FINANCE"

    run(check)
    assert len(stream_messages(server.url, "EDF_DISBURSEMENT")) == before


@pytest.mark.parametrize("user", [u for u in USERS if u not in (FINANCE, OPS)])
def test_no_one_but_finance_can_publish_a_finance_report(server: NatsServer, user: str) -> None:
    before = len(stream_messages(server.url, "EDF_FINANCE"))

    async def check() -> None:
        async with Client(server, user) as client:
            await client.refused(FAILED, lambda: client.js.publish(FAILED, b"{}"))
            other = "edf.applications.call.opened.v1" if user != "applications" else "edf.scoring.application.scored.v1"
            await client.refused(other, lambda: client.js.publish(other, b"{}"))

    run(check)
    assert len(stream_messages(server.url, "EDF_FINANCE")) == before


@pytest.mark.parametrize("user", ["gateway", READER, "scoring", "applications"])
def test_payment_instructions_cannot_be_read_by_who_does_not_need_them(server: NatsServer, user: str) -> None:
    seq = publish(server.url, INSTRUCTED, instructed_payload(uuid.uuid4()), msg_id=uuid.uuid4().hex)

    async def check() -> None:
        async with Client(server, user) as client:
            js = client.js
            config = ConsumerConfig(name="peek", durable_name="peek", filter_subject=INSTRUCTED)
            await client.refused("EDF_DISBURSEMENT", lambda: js.add_consumer("EDF_DISBURSEMENT", config))
            legacy = ConsumerConfig(durable_name="peek2", filter_subject=INSTRUCTED, ack_policy=AckPolicy.EXPLICIT)
            await client.refused("EDF_DISBURSEMENT", lambda: js.add_consumer("EDF_DISBURSEMENT", legacy))
            await client.refused("STREAM.MSG.GET.EDF_DISBURSEMENT", lambda: js.get_msg("EDF_DISBURSEMENT", seq))
            await client.refused(
                "DIRECT.GET.EDF_DISBURSEMENT", lambda: js.get_msg("EDF_DISBURSEMENT", seq, direct=True)
            )
            # nor by pulling another's consumer (finance's), nor by a plain subscription
            await client.refused(
                "MSG.NEXT.EDF_DISBURSEMENT.finance-sim",
                lambda: client.nc.request(  # type: ignore[union-attr]
                    "$JS.API.CONSUMER.MSG.NEXT.EDF_DISBURSEMENT.finance-sim", b"1", timeout=REFUSED
                ),
            )
            assert client.nc is not None
            await client.nc.subscribe("edf.disbursement.>")
            await client.nc.flush()
            await asyncio.sleep(0.3)
            assert [e for e in client.errors if "subscription" in e.lower() and "edf.disbursement" in e.lower()]

    run(check)


def test_the_reader_reads_the_streams_without_payee_data_through_its_own_consumer(server: NatsServer) -> None:
    seq = publish(server.url, "edf.applications.call.closed.v1", b'{"probe": 1}', msg_id=uuid.uuid4().hex)

    async def check() -> None:
        async with Client(server, READER) as reader:
            durable = f"partner-{uuid.uuid4().hex[:8]}"
            sub = await reader.js.pull_subscribe("edf.applications.>", durable=durable, stream="EDF_APPLICATIONS")
            messages = await sub.fetch(seq, timeout=5)
            assert any(m.data == b'{"probe": 1}' for m in messages)
            for message in messages:
                await message.ack()
            assert (await reader.js.stream_info("EDF_SCORING")).config.name == "EDF_SCORING"
            # never an app's own durable consumer: pulling it would take the app's events
            steal = "$JS.API.CONSUMER.MSG.NEXT.EDF_APPLICATIONS.scoring--EDF_APPLICATIONS"
            await reader.refused(steal, lambda: reader.nc.request(steal, b"1", timeout=REFUSED))  # type: ignore[union-attr]
            assert not [e for e in reader.errors if durable in e]

    run(check)


@pytest.mark.parametrize("user", [u for u in USERS if u != OPS])
def test_no_one_but_ops_can_delete_or_purge_a_stream(server: NatsServer, user: str) -> None:
    stream = "EDF_APPLICATIONS" if user != "applications" else "EDF_SCORING"

    async def check() -> None:
        async with Client(server, user) as client:
            await client.refused(f"STREAM.DELETE.{stream}", lambda: client.js.delete_stream(stream))
            await client.refused(f"STREAM.PURGE.{stream}", lambda: client.js.purge_stream(stream))
            own = owned_streams(user)[0] if user in APP_USERS else "EDF_FINANCE"
            await client.refused(f"STREAM.DELETE.{own}", lambda: client.js.delete_stream(own))

    run(check)

    async def as_ops(js: JetStreamContext) -> bool:
        await js.add_stream(StreamConfig(name="OPS_PROBE", subjects=["probe.>"]))
        return await js.delete_stream("OPS_PROBE")

    assert with_js(server.url, as_ops)


def test_an_app_cannot_snoop_on_another_users_inbox(server: NatsServer) -> None:
    async def check() -> None:
        async with Client(server, "scoring") as scoring:
            assert scoring.nc is not None
            for inbox in ("_INBOX_finance.>", "_INBOX.>", "_INBOX_disbursement.abc"):
                await scoring.nc.subscribe(inbox)
            await scoring.nc.flush()
            await asyncio.sleep(0.3)
            for inbox in ("_INBOX_finance.>", "_INBOX.>", "_INBOX_disbursement.abc"):
                assert [e for e in scoring.errors if inbox.lower() in e.lower()], (inbox, scoring.errors)

    run(check)


@pytest.mark.parametrize("app", APP_USERS)
def test_each_app_ensures_its_streams_publishes_its_events_and_consumes_its_subscriptions(
    own_nats: NatsServer, app: str, tmp_path: Path
) -> None:
    """On an empty server: the app's own user creates its streams; the streams it consumes are
    created by their producers (ops here); its real durable consumers are created and pulled."""
    from shared.db import Database, make_engine

    database_url = f"sqlite:///{tmp_path / 'app.db'}"
    upgrade(app, database_url)
    infra = __import__(f"{APPS[app]}.models", fromlist=["INFRA"]).INFRA
    db = Database(engine=make_engine(database_url), infra=infra, source=f"/edf/{app}")

    async def check() -> None:
        bus = Bus(own_nats.address, app, login=own_nats.login(app), streams=owned_streams(app))
        bus.start()
        try:
            await bus.wait_ready(15)
            ack = await bus.js.publish(f"edf.{app}.probe.v1", b"{}", headers={"Nats-Msg-Id": uuid.uuid4().hex})
            assert ack.stream == owned_streams(app)[0]
            nc = await nats.connect(own_nats.url)  # the producers of what it consumes
            await ensure_streams(nc.jetstream())
            subscriptions = (
                () if app == "gateway" else __import__(f"{APPS[app]}.consumers", fromlist=["S"]).SUBSCRIPTIONS
            )
            consumers = consumers_for(db, bus, app, subscriptions, ConsumerPolicy())
            assert {(c.stream, c.name) for c in consumers} == set(consumed(app))
            for consumer in consumers:
                subject = sorted(consumer.applier.subscriptions)[0]
                await nc.jetstream().publish(subject, b"{}", headers={"Nats-Msg-Id": uuid.uuid4().hex})
                await bus.js.add_consumer(consumer.stream, consumer._config())
                sub = await bus.js.pull_subscribe_bind(durable=consumer.name, stream=consumer.stream)
                messages = await sub.fetch(1, timeout=5)
                assert stream_for_subject(messages[0].subject) == consumer.stream
                await messages[0].ack_sync()
                await bus.js.consumer_info(consumer.stream, consumer.name)  # what its metrics read
            await nc.close()
        finally:
            await bus.close()
            db.engine.dispose()

    run(check)


def test_an_app_start_keeps_the_retention_an_operator_set(own_nats: NatsServer) -> None:
    async def operator(js: JetStreamContext) -> None:
        await js.add_stream(
            StreamConfig(name="EDF_GATEWAY", subjects=["edf.gateway.>"], max_age=3600, max_msgs=1000, max_bytes=2**20)
        )

    with_js(own_nats.url, operator)

    async def start() -> StreamConfig:
        bus = Bus(own_nats.address, "gateway", login=own_nats.login("gateway"), streams=owned_streams("gateway"))
        bus.start()
        try:
            await bus.wait_ready(15)
            return (await bus.js.stream_info("EDF_GATEWAY")).config
        finally:
            await bus.close()

    config = run(start)
    assert (config.max_age, config.max_msgs, config.max_bytes) == (3600, 1000, 2**20)
    assert config.allow_msg_ttl is True and config.subjects == ["edf.gateway.>"]
    assert config.duplicate_window is not None


def test_payment_instructions_expire_after_their_max_age(server: NatsServer) -> None:
    payload = instructed_payload(uuid.uuid4())
    headers = headers_for(uuid.uuid4().hex, INSTRUCTED, payee_data_max_age=1)
    assert headers["Nats-TTL"] == "1"
    assert "Nats-TTL" not in headers_for(uuid.uuid4().hex, "edf.disbursement.tranche.paid.v1", 1)

    async def publish_and_wait(js: JetStreamContext) -> int:
        ack = await js.publish(INSTRUCTED, payload, headers=headers)
        await asyncio.sleep(2.5)
        try:
            await js.get_msg("EDF_DISBURSEMENT", ack.seq)
        except Exception:  # noqa: BLE001  (gone: expired)
            return 0
        return 1

    assert with_js(server.url, publish_and_wait) == 0


def test_finance_sim_pays_with_its_own_user(server: NatsServer, tmp_path: Path) -> None:
    instruction_id = uuid.uuid4()
    last = publish(server.url, INSTRUCTED, instructed_payload(instruction_id), msg_id=uuid.uuid4().hex)
    record = tmp_path / "finance-sim.db"
    with finance_sim_process(server.url, record):
        wait_until(lambda: consumer_settled(server.url, "EDF_DISBURSEMENT", "finance-sim", last), timeout=30)
    assert sim_payments(record) == [(str(instruction_id), "settled")]
    assert '"user": "finance"' in record.with_suffix(".nats.json").read_text()
    assert "Permissions" not in record.with_suffix(".log").read_text()
