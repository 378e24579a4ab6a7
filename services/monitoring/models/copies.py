"""Tables and API models of the monitoring service.

Copies of other services' facts (calls, applications, grants and their tranches) kept from
events, and what monitoring itself owns: the visit schedule, visits, the job ledger (one row
per job seen, one observation per visit that saw it), verified milestones and flags.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, Column, Date, DateTime, ForeignKey, Index, Numeric, UniqueConstraint, Uuid
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from shared.application_status import ApplicationStatus
from shared.db import define_infra_tables
from shared.tables import money_column


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
    currency_exponent: int = Field(default=2, sa_column_kwargs={"server_default": "2"})
    title: dict[str, str] = Field(sa_column=Column(JSON, nullable=False))
    governorates: list[str] = Field(sa_column=Column(JSON, nullable=False))
    tranche_milestones: list[str] = Field(sa_column=Column(JSON, nullable=False))
    monitoring_schedule_days: list[int] = Field(sa_column=Column(JSON, nullable=False))


# Every status but `draft`: monitoring learns of an application when it is submitted.
APPLICATION_STATUSES = tuple(s.value for s in ApplicationStatus if s is not ApplicationStatus.draft)


class Application(Base, table=True):
    """From `application.submitted`: planned jobs and the breakdowns (no names or contacts); the
    status follows screening, withdrawal and scoring's events (`domain.next_application_status`)."""

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


class ScheduledVisit(Base, table=True):
    """A visit due: `verification` before each tranche's milestone, `follow_up` after the last payment."""

    __tablename__ = "scheduled_visits"
    __table_args__ = (
        UniqueConstraint("grant_id", "kind", "slot", name="uq_scheduled_visits_slot"),
        CheckConstraint("kind IN ('verification', 'follow_up')", name="ck_scheduled_visits_kind"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    grant_id: uuid.UUID = Field(sa_column=Column(Uuid, ForeignKey("grants.id"), nullable=False, index=True))
    kind: str = Field(max_length=12)
    slot: int  # tranche seq (verification) or 1, 2, … (follow-ups in order)
    due_on: date = Field(sa_column=Column(Date, nullable=False))
    milestone: str | None = Field(default=None, max_length=64)


class Visit(Base, table=True):
    __tablename__ = "visits"
    __table_args__ = (
        CheckConstraint("kind IN ('verification', 'follow_up')", name="ck_visits_kind"),
        Index("ix_visits_grant", "grant_id", "visited_on"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    grant_id: uuid.UUID = Field(sa_column=Column(Uuid, ForeignKey("grants.id"), nullable=False))
    visited_on: date = Field(sa_column=Column(Date, nullable=False))
    kind: str = Field(max_length=12)
    findings: str = Field(max_length=10_000)
    lat: Decimal | None = Field(default=None, sa_column=Column(Numeric(6, 3)))
    lon: Decimal | None = Field(default=None, sa_column=Column(Numeric(6, 3)))
    recorded_by: uuid.UUID
    recorded_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class Job(Base, table=True):
    """The job ledger: one row per job (hire) seen at a visit."""

    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint("sex IN ('female', 'male')", name="ck_jobs_sex"),
        CheckConstraint("displacement_status IN ('idp', 'returnee', 'host')", name="ck_jobs_displacement"),
        Index("ix_jobs_grant", "grant_id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    grant_id: uuid.UUID = Field(sa_column=Column(Uuid, ForeignKey("grants.id"), nullable=False))
    first_visit_id: uuid.UUID = Field(sa_column=Column(Uuid, ForeignKey("visits.id"), nullable=False))
    sex: str = Field(max_length=8)
    age_group: str = Field(max_length=8)
    displacement_status: str = Field(max_length=10)
    start_date: date = Field(sa_column=Column(Date, nullable=False))


class JobObservation(Base, table=True):
    """What one visit saw of one job."""

    __tablename__ = "job_observations"

    job_id: uuid.UUID = Field(sa_column=Column(Uuid, ForeignKey("jobs.id"), primary_key=True))
    visit_id: uuid.UUID = Field(sa_column=Column(Uuid, ForeignKey("visits.id"), primary_key=True))
    visit_kind: str = Field(max_length=12)
    observed_on: date = Field(sa_column=Column(Date, nullable=False))
    still_employed: bool


class VerifiedMilestone(Base, table=True):
    """Once per milestone per grant (the primary key): its `milestone.verified` is emitted once."""

    __tablename__ = "verified_milestones"

    grant_id: uuid.UUID = Field(sa_column=Column(Uuid, ForeignKey("grants.id"), primary_key=True))
    milestone: str = Field(max_length=64, primary_key=True)
    verified_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    verified_by: uuid.UUID
    visit_id: uuid.UUID | None = Field(default=None, sa_column=Column(Uuid, ForeignKey("visits.id")))
    evidence: str | None = Field(default=None, max_length=2000)


class Flag(Base, table=True):
    __tablename__ = "flags"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    grant_id: uuid.UUID = Field(sa_column=Column(Uuid, ForeignKey("grants.id"), nullable=False, index=True))
    reason: str = Field(max_length=2000)
    hold_payments: bool
    visit_id: uuid.UUID | None = Field(default=None, sa_column=Column(Uuid, ForeignKey("visits.id")))
    raised_by: uuid.UUID
    raised_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    resolved_by: uuid.UUID | None = None
    resolved_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
