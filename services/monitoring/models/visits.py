"""What monitoring itself owns: the visit schedule, visits, the job ledger (one row per job
seen, one observation per visit that saw it), verified milestones and flags."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Column, Date, DateTime, ForeignKey, Index, Numeric, UniqueConstraint, Uuid
from sqlmodel import Field

from services.monitoring.models.base import Base


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
