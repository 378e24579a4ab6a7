"""Grants, their tranches and payout details; milestones and holds as monitoring reports them."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Column, DateTime, ForeignKey, Index, Numeric, UniqueConstraint, Uuid
from sqlmodel import Field

from services.disbursement.models.base import Base
from shared.tables import money_column


class Grant(Base, table=True):
    """One per awarded application. `paid_total` (moved under this row's lock when a tranche is
    paid) cannot exceed `amount`: the database refuses to pay a grant more than it awards."""

    __tablename__ = "grants"
    __table_args__ = (
        CheckConstraint("amount > 0", name="ck_grants_amount_positive"),
        CheckConstraint("paid_total >= 0 AND paid_total <= amount", name="ck_grants_paid_within_amount"),
        CheckConstraint("status IN ('active', 'on_hold', 'completed', 'cancelled')", name="ck_grants_status"),
        Index("ix_grants_applicant", "applicant_id"),
        Index("ix_grants_call", "call_id", "reference"),
    )

    id: uuid.UUID = Field(primary_key=True)
    application_id: uuid.UUID = Field(unique=True)
    call_id: uuid.UUID = Field(sa_column=Column(Uuid, ForeignKey("calls.id"), nullable=False))
    reference: str = Field(max_length=32, unique=True)
    applicant_id: uuid.UUID | None = None
    amount: Decimal = Field(sa_column=money_column())
    currency: str = Field(max_length=3)
    currency_exponent: int
    status: str = Field(max_length=12)
    paid_total: Decimal = Field(default=Decimal(0), sa_column=money_column())
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    completed_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


class Payee(Base, table=True):
    """Payout details, never changed in place: a new row each time, the latest one current.
    A request names the row it was made for, so that an approval pays what was requested.

    Four eyes on the account: details the grantee records are theirs (confirmed as they are
    recorded); details staff record are pending until the grantee or another officer confirms
    them (`confirmed_by`, `confirmed_at`), and a pending payee is never paid."""

    __tablename__ = "payees"
    __table_args__ = (
        CheckConstraint("method IN ('bank', 'mobile_money')", name="ck_payees_method"),
        Index("ix_payees_grant", "grant_id", "recorded_at"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    grant_id: uuid.UUID = Field(sa_column=Column(Uuid, ForeignKey("grants.id"), nullable=False))
    method: str = Field(max_length=16)
    account_holder: str = Field(max_length=140)
    iban: str | None = Field(default=None, max_length=34)
    account_number: str | None = Field(default=None, max_length=34)
    bank_name: str | None = Field(default=None, max_length=140)
    bic: str | None = Field(default=None, max_length=11)
    wallet_phone: str | None = Field(default=None, max_length=20)
    wallet_provider: str | None = Field(default=None, max_length=60)
    recorded_by: uuid.UUID
    recorded_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    recorded_as: str = Field(default="staff", max_length=8)  # grantee | staff
    confirmed_by: uuid.UUID | None = None
    confirmed_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


class Tranche(Base, table=True):
    __tablename__ = "tranches"
    __table_args__ = (
        UniqueConstraint("grant_id", "seq", name="uq_tranches_grant_seq"),
        CheckConstraint("amount > 0", name="ck_tranches_amount_positive"),
        CheckConstraint(
            "status IN ('planned', 'eligible', 'requested', 'approved', 'instructed', 'paid', 'failed')",
            name="ck_tranches_status",
        ),
    )

    id: uuid.UUID = Field(primary_key=True)
    grant_id: uuid.UUID = Field(sa_column=Column(Uuid, ForeignKey("grants.id"), nullable=False))
    seq: int
    percent: Decimal = Field(sa_column=Column(Numeric(7, 4), nullable=False))
    amount: Decimal = Field(sa_column=money_column())
    milestone: str = Field(max_length=64)
    status: str = Field(max_length=12)
    requested_by: uuid.UUID | None = None
    requested_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    payee_id: uuid.UUID | None = Field(default=None, sa_column=Column(Uuid, ForeignKey("payees.id")))
    approved_by: uuid.UUID | None = None
    approved_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    paid_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


class VerifiedMilestone(Base, table=True):
    """Milestones monitoring verified, by grant id: kept even before the grant is known here
    (a rebuild from the streams), and applied to its tranches when the grant appears."""

    __tablename__ = "verified_milestones"

    grant_id: uuid.UUID = Field(primary_key=True)
    milestone: str = Field(max_length=64, primary_key=True)
    verified_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    verified_by: uuid.UUID | None = None  # None: an event from before monitoring said who


class Hold(Base, table=True):
    """A monitoring flag on a grant; it holds payments while `hold_payments` and unresolved."""

    __tablename__ = "holds"

    flag_id: uuid.UUID = Field(primary_key=True)
    grant_id: uuid.UUID = Field(index=True)
    hold_payments: bool
    flagged_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    resolved_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    resolved_by: uuid.UUID | None = None  # None: unresolved, or an event from before monitoring said who
