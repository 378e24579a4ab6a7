"""Finance users making payment batches of one call at the same moment (uvicorn, a thread pool,
a real database; PostgreSQL when EDF_TEST_POSTGRES_URL is set): no payment is ever in two live
batches, every answer is 201 or a clean 409, never a 5xx.

Nothing serialises the makers but the database: each reads the pool, writes its batch and its
memberships, and the partial unique index on live memberships refuses the loser's, which reads
the pool again (a batch of what is left, or 409 `no_payments_to_batch`). The last test shows the
index itself refusing a second live membership, whatever the code does."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from services.disbursement.main import create_app
from shared.auth import Role
from shared.migrate import upgrade
from tests.support.apps import bearer, settings_for
from tests.support.disbursement import Disbursement
from tests.support.natsd import NatsServer
from tests.support.servers import ServerThread

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]
ROUNDS = 8
PAYMENTS = 3  # new instructions per round
MAKERS = 12  # concurrent requests per round


@pytest.fixture
def served(database_url: str, own_nats: NatsServer) -> Iterator[Disbursement]:
    upgrade("disbursement", database_url)
    settings = settings_for(
        "disbursement",
        database_url=database_url,
        nats_url=own_nats.url,
        debtor_name="EDF Iraq",
        debtor_iban="IQ06CBIQ861234567890123",
        debtor_bic="CBIQIQBA",
    )
    app = create_app(settings)
    with (
        ServerThread(app) as server,
        httpx.Client(base_url=server.url, timeout=60, limits=httpx.Limits(max_connections=100)) as client,
    ):
        yield Disbursement(app=app, client=client, database_url=database_url)


def all_at_once(count: int, action: Callable[[int], Any]) -> list[Any]:
    start = threading.Barrier(count)

    def run(index: int) -> Any:
        start.wait()
        return action(index)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def live_memberships(served: Disbursement) -> Counter[str]:
    rows = served.sql("SELECT instruction_id FROM payment_batch_items WHERE released_at IS NULL")
    return Counter(uuid.UUID(str(r[0])).hex for r in rows)


def test_concurrent_batches_never_share_a_payment(served: Disbursement) -> None:
    call_id = served.open_call(payment_channel="bank_file")
    finance = [bearer(Role.finance, uuid.uuid4()) for _ in range(MAKERS)]
    instructed: list[str] = []
    for round_ in range(ROUNDS):
        instructed += [served.instructed(call_id=call_id)[1] for _ in range(PAYMENTS)]

        def make(index: int) -> httpx.Response:
            if index % 3 == 2:  # the old way in: payments.xml makes a batch when none is open
                return served.client.get(f"/api/v1/calls/{call_id}/payments.xml", headers=finance[index])
            return served.client.post(f"/api/v1/calls/{call_id}/payment-batches", headers=finance[index])

        answers = all_at_once(MAKERS, make)
        statuses = Counter(a.status_code for a in answers)
        assert set(statuses) <= {200, 201, 409}, (round_, statuses, [a.text for a in answers if a.status_code >= 500])
        refused = {a.json().get("code") for a in answers if a.status_code == 409}
        assert refused <= {"no_payments_to_batch"}, refused
        live = live_memberships(served)
        assert max(live.values()) == 1, f"round {round_}: a payment is in two live batches"
        assert set(live) == {uuid.UUID(i).hex for i in instructed}, f"round {round_}: a payment is in no batch"
        made = [a.json() for a in answers if a.status_code == 201]
        assert sum(b["payments"] for b in made) <= PAYMENTS
        # Send the round's open batches: the next round starts from an empty pool.
        for (batch_id,) in served.sql("SELECT id FROM payment_batches WHERE status = 'open'"):
            sent = served.client.post(f"/api/v1/payment-batches/{uuid.UUID(str(batch_id))}/sent", headers=finance[0])
            assert sent.status_code == 200, sent.text
    files = served.sql("SELECT count(*), sum(payments) FROM payment_batches")
    assert files[0][1] == ROUNDS * PAYMENTS


def test_concurrent_cancel_and_send_of_one_batch_end_in_one_of_them(served: Disbursement) -> None:
    call_id = served.open_call(payment_channel="bank_file")
    served.instructed(call_id=call_id)
    finance = bearer(Role.finance)
    batch = served.client.post(f"/api/v1/calls/{call_id}/payment-batches", headers=finance).json()
    answers = all_at_once(
        10,
        lambda i: served.client.post(
            f"/api/v1/payment-batches/{batch['id']}/{'sent' if i % 2 else 'cancel'}", headers=finance
        ),
    )
    final = served.client.get(f"/api/v1/payment-batches/{batch['id']}", headers=finance).json()["status"]
    winner = "sent" if final == "sent" else "cancel"
    for index, answer in enumerate(answers):
        mine = "sent" if index % 2 else "cancel"
        assert answer.status_code == (200 if mine == winner else 409), (index, answer.text)
    assert (final == "cancelled") == (live_memberships(served) == Counter())


def test_the_database_refuses_a_second_live_membership(served: Disbursement) -> None:
    call_id = served.open_call(payment_channel="bank_file")
    _, instruction_id = served.instructed(call_id=call_id)
    batch = served.client.post(f"/api/v1/calls/{call_id}/payment-batches", headers=bearer(Role.finance)).json()
    engine = create_engine(served.database_url)
    sqlite = engine.dialect.name == "sqlite"

    def key(value: str) -> str:
        return uuid.UUID(value).hex if sqlite else value

    other = str(uuid.uuid4())
    try:
        with engine.begin() as connection:  # a second batch of the same call, by hand
            connection.execute(
                text(
                    "INSERT INTO payment_batches (id, call_id, message_id, status, payments, total, currency,"
                    " document, created_by, created_at) SELECT :id, call_id, :m, 'open', 1, total, currency,"
                    " document, created_by, created_at FROM payment_batches WHERE id = :b"
                ),
                {"id": key(other), "m": "BY-HAND-1", "b": key(batch["id"])},
            )
        insert = text("INSERT INTO payment_batch_items (id, batch_id, instruction_id, seq) VALUES (:id, :b, :i, 1)")
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.execute(insert, {"id": key(str(uuid.uuid4())), "b": key(other), "i": key(instruction_id)})
        cancelled = served.client.post(f"/api/v1/payment-batches/{batch['id']}/cancel", headers=bearer(Role.finance))
        assert cancelled.status_code == 200
        with engine.begin() as connection:  # released: the payment may now be in another batch
            connection.execute(insert, {"id": key(str(uuid.uuid4())), "b": key(other), "i": key(instruction_id)})
    finally:
        engine.dispose()
