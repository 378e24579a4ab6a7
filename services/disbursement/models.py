"""Tables and API models of the disbursement service."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Column, Numeric
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from shared.db import define_infra_tables


class Base(SQLModel, registry=registry()):
    pass


INFRA = define_infra_tables(Base.metadata)


class Call(Base, table=True):
    """What disbursement needs of a call, copied from `call.opened`."""

    __tablename__ = "calls"

    id: uuid.UUID = Field(primary_key=True)
    code: str = Field(max_length=12)
    status: str = Field(max_length=10)
    currency: str = Field(max_length=3)
    currency_exponent: int
    budget: Decimal = Field(sa_column=Column(Numeric(18, 4), nullable=False))
    tranche_plan: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
