"""Tables and API models of the monitoring service."""

from __future__ import annotations

import uuid

from sqlalchemy import JSON, Column
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from shared.db import define_infra_tables


class Base(SQLModel, registry=registry()):
    pass


INFRA = define_infra_tables(Base.metadata)


class Call(Base, table=True):
    """What monitoring needs of a call, copied from `call.opened`."""

    __tablename__ = "calls"

    id: uuid.UUID = Field(primary_key=True)
    code: str = Field(max_length=12)
    status: str = Field(max_length=10)
    currency: str = Field(max_length=3)
    title: dict[str, str] = Field(sa_column=Column(JSON, nullable=False))
    governorates: list[str] = Field(sa_column=Column(JSON, nullable=False))
    tranche_milestones: list[str] = Field(sa_column=Column(JSON, nullable=False))
    monitoring_schedule_days: list[int] = Field(sa_column=Column(JSON, nullable=False))
