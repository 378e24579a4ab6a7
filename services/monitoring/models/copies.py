"""Copies of other services' facts that monitoring keeps from their events (its read models):
calls, applications, grants and their tranches. Only the event handlers write them."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, Column, Date, DateTime, ForeignKey, Index, UniqueConstraint, Uuid
from sqlmodel import Field

from services.monitoring.models.base import Base
from shared.application_status import ApplicationStatus
from shared.tables import money_column


class Call(Base, table=True):
    """What monitoring needs of a call, copied from `call.opened`."""

    __tablename__ = "calls"

    id: uuid.UUID = Field(primary_key=True)
    code: str = Field(max_length=12)
    status: str = Field(max_length=10)
    currency: str = Field(max_length=3)
    currency_exponent: int = Field(default=2, sa_column_kwargs={"server_default": "2"})
    title: dict[str, str] = Field(sa_column=Column(JSON, nullable=False))
    governorates: list[str] = Field(sa_column=Column(JSON, nullable=False))
    tranche_milestones: list[str] = Field(sa_column=Column(JSON, nullable=False))
    monitoring_schedule_days: list[int] = Field(sa_column=Column(JSON, nullable=False))


# Every status but `draft`: monitoring learns of an application when it is submitted.
APPLICATION_STATUSES = tuple(s.value for s in ApplicationStatus if s is not ApplicationStatus.draft)


class Application(Base, table=True):
    """From `application.submitted`: planned jobs and the breakdowns (no names or contacts); the
    status follows screening, withdrawal and scoring's events (`domain.applications.next_application_status`)."""

    __tablename__ = "applications"
    __table_args__ = (
        CheckConstraint(f"status IN {APPLICATION_STATUSES}", name="ck_applications_status"),
        Index("ix_applications_call_status", "call_id", "status"),
    )

    id: uuid.UUID = Field(primary_key=True)
    call_id: uuid.UUID = Field(index=True)
    applicant_id: uuid.UUID | None = None
    reference: str | None = Field(default=None, max_length=32)  # the human reference, not a name
    status: str = Field(default="submitted", max_length=12, sa_column_kwargs={"server_default": "submitted"})
    decided_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    sector: str | None = Field(default=None, max_length=64)
    district: str | None = Field(default=None, max_length=100)
    governorate: str = Field(max_length=8)
    owner_sex: str = Field(max_length=8)
    owner_displacement_status: str = Field(max_length=10)
    jobs_planned_female: int
    jobs_planned_male: int


class Grant(Base, table=True):
    """From `grant.created`; `completed` from `grant.completed`."""

    __tablename__ = "grants"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'completed', 'cancelled')", name="ck_grants_status"),
        Index("ix_grants_call", "call_id", "status"),
    )

    id: uuid.UUID = Field(primary_key=True)
    application_id: uuid.UUID = Field(unique=True)
    call_id: uuid.UUID
    amount: Decimal = Field(sa_column=money_column())
    currency: str = Field(max_length=3)
    status: str = Field(max_length=10)
    created_on: date = Field(sa_column=Column(Date, nullable=False))
    first_paid_on: date | None = Field(default=None, sa_column=Column(Date))
    # first_paid_on + 182 / 365 days: from when a follow-up visit counts a job as retained
    retention_6m_on: date | None = Field(default=None, sa_column=Column(Date))
    retention_12m_on: date | None = Field(default=None, sa_column=Column(Date))


class GrantTranche(Base, table=True):
    __tablename__ = "grant_tranches"
    __table_args__ = (
        UniqueConstraint("grant_id", "seq", name="uq_grant_tranches_grant_seq"),
        UniqueConstraint("grant_id", "milestone", name="uq_grant_tranches_grant_milestone"),
    )

    id: uuid.UUID = Field(primary_key=True)  # disbursement's tranche id
    grant_id: uuid.UUID = Field(sa_column=Column(Uuid, ForeignKey("grants.id"), nullable=False))
    seq: int
    milestone: str = Field(max_length=64)
    amount: Decimal = Field(sa_column=money_column())
    paid_amount: Decimal | None = Field(default=None, sa_column=money_column(nullable=True))
    paid_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
