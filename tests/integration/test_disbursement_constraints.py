"""The payment invariants hold in the database itself, whatever the code above it does: one live
instruction per tranche, one instruction per attempt, one settlement per instruction, four eyes,
positive amounts, disbursed <= awarded per grant and awarded <= budget per call."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from services.disbursement.models import Base
from tests.support.disbursement import Disbursement, disbursement_service
from tests.support.natsd import NatsServer

pytestmark = pytest.mark.integration
T = Base.metadata.tables


@pytest.fixture
def service(database_url: str, own_nats: NatsServer) -> Iterator[Disbursement]:
    with disbursement_service(database_url, own_nats.url) as running:
        yield running


@pytest.fixture
def engine(service: Disbursement) -> Iterator[Engine]:
    made = create_engine(service.database_url)
    yield made
    made.dispose()


def refused(engine: Engine, statement: Any) -> bool:
    try:
        with engine.begin() as connection:
            connection.execute(statement)
    except IntegrityError:
        return True
    return False


def instruction_row(engine: Engine, instruction_id: str) -> dict[str, Any]:
    with engine.connect() as connection:
        row = (
            connection.execute(select(T["instructions"]).where(T["instructions"].c.id == uuid.UUID(instruction_id)))
            .mappings()
            .one()
        )
    return dict(row)


def copy_of(row: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**row, "id": uuid.uuid4(), "instructed_at": datetime.now(UTC), **changes}


def test_instructions_one_live_per_tranche_one_per_attempt_four_eyes_positive(
    service: Disbursement, engine: Engine
) -> None:
    _, instruction_id = service.instructed()
    row = instruction_row(engine, instruction_id)
    table = T["instructions"]
    assert refused(engine, insert(table).values(copy_of(row, attempt=2)))  # a second live one
    assert refused(engine, insert(table).values(copy_of(row, status="failed")))  # attempt 1 again
    assert refused(
        engine, insert(table).values(copy_of(row, attempt=2, status="failed", approved_by=row["requested_by"]))
    )  # self-approved
    assert refused(engine, insert(table).values(copy_of(row, attempt=2, status="failed", amount=Decimal(0))))
    # The guard's own shape: a failed attempt beside the live one is allowed.
    assert not refused(engine, insert(table).values(copy_of(row, attempt=2, status="failed")))


def test_one_settlement_per_instruction(service: Disbursement, engine: Engine) -> None:
    _, instruction_id = service.instructed()
    assert service.settle(instruction_id).status_code == 200
    second = {
        "id": uuid.uuid4(),
        "instruction_id": uuid.UUID(instruction_id),
        "outcome": "settled",
        "reported_at": datetime.now(UTC),
        "source": "api",
        "recorded_by": "x",
        "recorded_at": datetime.now(UTC),
    }
    assert refused(engine, insert(T["settlements"]).values(second))


def test_a_grant_is_never_paid_more_than_awarded_nor_a_call_awarded_beyond_budget(
    service: Disbursement, engine: Engine
) -> None:
    grant, _ = service.instructed()
    grants, calls = T["grants"], T["calls"]
    assert refused(engine, update(grants).values(paid_total=grants.c.amount + 1))
    assert refused(engine, update(grants).values(paid_total=-1))
    assert refused(engine, update(calls).values(awarded_total=calls.c.budget + 1))
    assert not refused(engine, update(grants).values(paid_total=grants.c.amount))  # exactly the award is fine
    assert grant["amount"] == "18000.00"


@pytest.mark.parametrize("table", ["grants", "tranches"])
def test_amounts_are_positive(service: Disbursement, engine: Engine, table: str) -> None:
    service.instructed()
    assert refused(engine, update(T[table]).values(amount=0))


def test_an_unknown_status_is_refused(service: Disbursement, engine: Engine) -> None:
    service.instructed()
    updates: list[Callable[[], Any]] = [
        lambda: update(T["grants"]).values(status="paid"),
        lambda: update(T["tranches"]).values(status="done"),
        lambda: update(T["instructions"]).values(status="pending"),
    ]
    assert all(refused(engine, make()) for make in updates)
