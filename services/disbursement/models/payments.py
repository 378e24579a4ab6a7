"""Payment instructions, the settlement of each, and alerts about contradicting reports.

The database holds the payment invariants whatever the code does: one instruction per tranche
attempt, at most one live (not failed) instruction per tranche, one settlement per instruction,
a requester who is not the approver, positive amounts.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Column, DateTime, ForeignKey, Index, String, UniqueConstraint, Uuid, text
from sqlmodel import Field

from services.disbursement.models.base import Base
from shared.tables import money_column

LIVE = text("status <> 'failed'")


class Instruction(Base, table=True):
    __tablename__ = "instructions"
    __table_args__ = (
        UniqueConstraint("tranche_id", "attempt", name="uq_instructions_tranche_attempt"),
        Index("uq_instructions_live_tranche", "tranche_id", unique=True, sqlite_where=LIVE, postgresql_where=LIVE),
        Index("ix_instructions_call_status", "call_id", "status"),
        CheckConstraint("amount > 0", name="ck_instructions_amount_positive"),
        CheckConstraint("attempt >= 1", name="ck_instructions_attempt"),
        CheckConstraint("approved_by <> requested_by", name="ck_instructions_four_eyes"),
        CheckConstraint("status IN ('instructed', 'settled', 'failed')", name="ck_instructions_status"),
        CheckConstraint("channel IN ('events', 'bank_file')", name="ck_instructions_channel"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)  # the finance systems' key
    tranche_id: uuid.UUID = Field(sa_column=Column(Uuid, ForeignKey("tranches.id"), nullable=False))
    grant_id: uuid.UUID = Field(sa_column=Column(Uuid, ForeignKey("grants.id"), nullable=False, index=True))
    call_id: uuid.UUID = Field(sa_column=Column(Uuid, ForeignKey("calls.id"), nullable=False))
    attempt: int
    amount: Decimal = Field(sa_column=money_column())
    currency: str = Field(max_length=3)
    status: str = Field(default="instructed", max_length=12)
    payee_id: uuid.UUID = Field(sa_column=Column(Uuid, ForeignKey("payees.id"), nullable=False))
    reference: str = Field(max_length=32)
    remittance_info: str = Field(max_length=140)
    requested_by: uuid.UUID
    approved_by: uuid.UUID
    instructed_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    # How it goes out, decided once when it is made: `events` (payment.instructed) or
    # `bank_file` (exactly one live payment batch, see models/batches.py).
    channel: str = Field(default="events", sa_column=Column(String(10), nullable=False, server_default="events"))


class Settlement(Base, table=True):
    """The first report about an instruction (settled or failed): one per instruction."""

    __tablename__ = "settlements"
    __table_args__ = (CheckConstraint("outcome IN ('settled', 'failed')", name="ck_settlements_outcome"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    instruction_id: uuid.UUID = Field(
        sa_column=Column(Uuid, ForeignKey("instructions.id"), nullable=False, unique=True)
    )
    outcome: str = Field(max_length=10)
    reported_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    bank_reference: str | None = Field(default=None, max_length=140)
    reason: str | None = Field(default=None, max_length=500)
    source: str = Field(max_length=10)  # api | event | bank_file
    recorded_by: str = Field(max_length=36)
    recorded_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class PaymentAlert(Base, table=True):
    """A report contradicting the first one about an instruction: nothing was changed by it."""

    __tablename__ = "payment_alerts"
    __table_args__ = (UniqueConstraint("instruction_id", "kind", name="uq_payment_alerts_instruction_kind"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    instruction_id: uuid.UUID = Field(sa_column=Column(Uuid, ForeignKey("instructions.id"), nullable=False))
    kind: str = Field(max_length=40)  # e.g. settled_after_failed
    reported_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    bank_reference: str | None = Field(default=None, max_length=140)
    reason: str | None = Field(default=None, max_length=500)
    source: str = Field(max_length=10)
    raised_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
