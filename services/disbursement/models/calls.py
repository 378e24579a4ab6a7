"""Copies of other services' aggregates: calls (with the awards guard) and who applied."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, DateTime, String
from sqlmodel import Field

from services.disbursement.models.base import Base
from shared.tables import money_column


class Call(Base, table=True):
    """What disbursement needs of a call, copied from `call.opened`.

    `awarded_total` moves with each grant created (under this row's lock); its CHECK keeps the
    grants of a call within its budget whatever the code does.
    """

    __tablename__ = "calls"
    __table_args__ = (
        CheckConstraint("awarded_total >= 0 AND awarded_total <= budget", name="ck_calls_grants_within_budget"),
        CheckConstraint("payment_channel IN ('events', 'bank_file')", name="ck_calls_payment_channel"),
    )

    id: uuid.UUID = Field(primary_key=True)
    code: str = Field(max_length=12)
    status: str = Field(max_length=10)
    currency: str = Field(max_length=3)
    currency_exponent: int
    budget: Decimal = Field(sa_column=money_column())
    tranche_plan: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    awarded_total: Decimal = Field(default=Decimal(0), sa_column=money_column(server_default="0"))
    # `events` (payment.instructed to finance systems) or `bank_file` (payment batches).
    payment_channel: str = Field(
        default="events", sa_column=Column(String(10), nullable=False, server_default="events")
    )


class Application(Base, table=True):
    """Who applied (from `application.submitted`): the grantee who may read the grant later."""

    __tablename__ = "applications"

    id: uuid.UUID = Field(primary_key=True)
    call_id: uuid.UUID = Field(index=True)
    reference: str = Field(max_length=32)
    applicant_id: uuid.UUID | None = None
    submitted_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
