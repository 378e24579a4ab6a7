"""Officers, applications as reviewers see them, reviews and committee decisions: tables."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Index, LargeBinary, Numeric, Text, UniqueConstraint, Uuid
from sqlmodel import Field

from services.scoring.models.base import Base
from shared.tables import money_column


class Officer(Base, table=True):
    """A gateway user with role `officer` (from `user.created`), with their workload."""

    __tablename__ = "officers"

    id: uuid.UUID = Field(primary_key=True)
    active: bool = True
    open_reviews: int = 0  # pending reviews
    assigned_total: int = 0  # reviews ever assigned
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class Application(Base, table=True):
    """An application as scoring knows it: anonymised facts (from `application.submitted`,
    which carries no name, national id or phone), reviewers, result and decision."""

    __tablename__ = "applications"
    __table_args__ = (
        # The ranking: an index range scan per page (see domain.ranking).
        Index("ix_applications_ranking", "call_id", "rank_key"),
        # Applications still missing reviewers, for officers who arrive later.
        Index("ix_applications_unassigned", "unassigned"),
    )

    id: uuid.UUID = Field(primary_key=True)
    call_id: uuid.UUID = Field(sa_column=Column(Uuid, ForeignKey("calls.id"), nullable=False))
    reference: str = Field(max_length=32)
    status: str = Field(max_length=16)
    submitted_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    facts: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))  # what reviewers are shown
    currency: str = Field(max_length=3)
    requested_amount: Decimal = Field(sa_column=money_column())
    jobs_planned: int
    owner_sex: str = Field(max_length=6)
    displacement_status: str = Field(max_length=10)
    reviewers_required: int = 0
    unassigned: int = 0  # reviewer places no officer could take yet
    extra_assigned: bool = False  # one more reviewer was added because the first ones diverged
    diverged: bool = False
    reviewers: int = 0  # submitted reviews
    score: Decimal | None = Field(default=None, sa_column=Column(Numeric(12, 8)))  # 8 places, half-even
    score_shown: Decimal | None = Field(default=None, sa_column=Column(Numeric(5, 2)))  # 2 places, half-even
    criteria: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    scored_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    rank_key: bytes | None = Field(default=None, sa_column=Column(LargeBinary(64)))  # null: not in the ranking
    decided_amount: Decimal | None = Field(default=None, sa_column=money_column(nullable=True))
    decided_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class Review(Base, table=True):
    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("application_id", "officer_id", name="uq_reviews_application_officer"),
        Index("ix_reviews_queue", "officer_id", "status", "assigned_at", "id"),
        Index("ix_reviews_officer", "officer_id", "assigned_at", "id"),
        Index("ix_reviews_recused", "call_id", "status"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    # Indexed by the unique constraint (application_id first).
    application_id: uuid.UUID = Field(sa_column=Column(Uuid, ForeignKey("applications.id"), nullable=False))
    call_id: uuid.UUID = Field(sa_column=Column(Uuid, nullable=False))
    officer_id: uuid.UUID = Field(sa_column=Column(Uuid, ForeignKey("officers.id"), nullable=False))
    status: str = Field(default="pending", max_length=10)
    reason: str = Field(default="initial", max_length=12)  # initial, replacement, divergence
    scores: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    comment: str | None = Field(default=None, sa_column=Column(Text))
    weighted_score: Decimal | None = Field(default=None, sa_column=Column(Numeric(12, 8)))
    recusal_reason: str | None = Field(default=None, sa_column=Column(Text))
    assigned_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    submitted_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    recused_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


class DecisionRecord(Base, table=True):
    """Every committee decision accepted, in order (the audit trail has them too)."""

    __tablename__ = "decisions"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    application_id: uuid.UUID = Field(sa_column=Column(Uuid, ForeignKey("applications.id"), nullable=False, index=True))
    call_id: uuid.UUID = Field(sa_column=Column(Uuid, ForeignKey("calls.id"), nullable=False, index=True))
    decision: str = Field(max_length=12)  # awarded, rejected, waitlisted
    amount: Decimal | None = Field(default=None, sa_column=money_column(nullable=True))
    reason: str | None = Field(default=None, sa_column=Column(Text))
    decided_by: uuid.UUID
    decided_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
