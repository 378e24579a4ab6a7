"""The reference finance consumer keeps paying across NATS restarts. The chaos run found it
exiting on the 503 that a restarted server answers to a pull while its JetStream is not up yet;
here a server without JetStream stands in for that moment, so the 503 comes every time."""

from __future__ import annotations

import sqlite3
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from tests.integration.test_finance_sim import INSTRUCTED, instructed_payload
from tests.support.apps import wait_until
from tests.support.disbursement import finance_sim_process, sim_payments
from tests.support.jetstream import create_streams, publish
from tests.support.natsd import NatsServer, nats_server_binary

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]


def paid_count(record: Path) -> int:
    """How many payments the sim's book holds (0 before it has made its table)."""
    try:
        return len(sim_payments(record))
    except sqlite3.OperationalError:
        return 0


def test_the_finance_consumer_survives_nats_restarts_and_pays_each_instruction_once(
    own_nats: NatsServer, tmp_path: Path
) -> None:
    create_streams(own_nats.url)
    record = tmp_path / "finance-sim.db"
    paid: list[str] = []
    with finance_sim_process(own_nats.url, record) as sim:
        for _ in range(4):
            instruction_id = uuid.uuid4()
            payload = instructed_payload(instruction_id)
            publish(own_nats.url, INSTRUCTED, payload, msg_id=uuid.uuid4().hex)
            paid.append(str(instruction_id))
            wait_until(lambda: paid_count(record) == len(paid), timeout=60, interval=0.2)
            own_nats.stop()  # while the consumer is waiting on a pull
            without_jetstream = subprocess.Popen(
                [nats_server_binary(), "-a", "127.0.0.1", "-p", str(own_nats.port)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(2.5)  # pulls get 503 (no JetStream to answer them)
            without_jetstream.terminate()
            without_jetstream.wait(10)
            own_nats.start()
            time.sleep(0.5)
            assert sim.poll() is None, record.with_suffix(".log").read_text()[-3000:]
        last = uuid.uuid4()
        publish(own_nats.url, INSTRUCTED, instructed_payload(last), msg_id=uuid.uuid4().hex)
        paid.append(str(last))
        wait_until(lambda: paid_count(record) == len(paid), timeout=60, interval=0.2)
        assert sim.poll() is None, record.with_suffix(".log").read_text()[-3000:]
    assert sorted(i for i, _ in sim_payments(record)) == sorted(paid)
