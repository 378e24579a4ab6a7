"""Calls as scoring keeps them: the copy from `call.opened` plus the budget ledger of awards."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, DateTime, Numeric
from sqlmodel import Field

from services.scoring.models.base import Base
from shared.tables import money_column


class Call(Base, table=True):
    """What scoring needs of a call, copied from `call.opened`.

    `awarded_total` is the sum of the awards made: the row is locked while an award is made,
    and the CHECK constraint keeps it within the budget whatever the code does.
    """

    __tablename__ = "calls"
    __table_args__ = (
        CheckConstraint("awarded_total >= 0 AND awarded_total <= budget", name="ck_calls_awards_within_budget"),
    )

    id: uuid.UUID = Field(primary_key=True)
    code: str = Field(max_length=12)
    status: str = Field(max_length=10)
    currency: str = Field(max_length=3)
    currency_exponent: int
    budget: Decimal = Field(sa_column=money_column())
    grant_min: Decimal = Field(sa_column=money_column())
    grant_max: Decimal = Field(sa_column=money_column())
    rubric: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    reviewers_per_application: int
    divergence_threshold: Decimal = Field(sa_column=Column(Numeric(6, 2), nullable=False))
    quotas: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    closes_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    committee_quorum: int = Field(default=1, sa_column_kwargs={"server_default": "1"})  # members to agree
    awarded_total: Decimal = Field(default=Decimal(0), sa_column=money_column(server_default="0"))
