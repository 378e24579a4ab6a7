"""Races between scoring's two durable consumers (applications' events and the gateway's): an
officer added while an application is being screened never leaves it waiting for reviewers."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable

import pytest

from tests.support.natsd import NatsServer
from tests.support.scoring import scoring_service

pytestmark = [pytest.mark.integration]
ROUNDS = 9  # officers; each application wants 10 reviewers, so each waits for every one


def at_once(*actions: Callable[[], None]) -> None:
    start = threading.Barrier(len(actions))
    errors: list[BaseException] = []

    def run(action: Callable[[], None]) -> None:
        start.wait()
        try:
            action()
        except BaseException as exc:  # noqa: BLE001  (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors


def test_an_officer_added_during_screening_gets_the_work(database_url: str, own_nats: NatsServer) -> None:
    with scoring_service(database_url, own_nats.url) as scoring:
        call = scoring.open_call(reviewers_per_application=10)
        for _ in range(ROUNDS):
            application = scoring.receive(call)
            at_once(
                lambda a=application: scoring.screen(call, a),  # type: ignore[misc]
                lambda: scoring.officer_created(uuid.uuid4()),
            )
        # No application waits while an officer who is not on it exists: each has all 9.
        per_application = scoring.sql("SELECT application_id, count(*) FROM reviews GROUP BY application_id")
        assert sorted(row[1] for row in per_application) == [ROUNDS] * ROUNDS
        assert scoring.sql("SELECT sum(unassigned) FROM applications") == [(ROUNDS,)]  # 1 place each still open
