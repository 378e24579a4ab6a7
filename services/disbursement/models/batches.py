"""Payment batches: the pain.001 files of a call's bank payments, each payment in one file.

A batch is `open` (made, its file downloadable, not yet sent to the bank), then `sent` (for
ever) or `cancelled` (its payments go back to the pool). Its file is kept as made: every
download is the same bytes under the same `MsgId`.

The database holds the rule whatever the code does: a payment instruction has at most one
live membership (`released_at IS NULL`): the partial unique index refuses a second, so that
two finance users making batches at the same moment never put one payment in two files.
Cancelling a batch releases its memberships (kept, with the time, as its history).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Column, DateTime, ForeignKey, Index, LargeBinary, UniqueConstraint, Uuid, text
from sqlmodel import Field

from services.disbursement.models.base import Base
from shared.tables import money_column

UNRELEASED = text("released_at IS NULL")


class PaymentBatch(Base, table=True):
    __tablename__ = "payment_batches"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'sent', 'cancelled')", name="ck_payment_batches_status"),
        CheckConstraint("payments >= 1 AND total > 0", name="ck_payment_batches_not_empty"),
        CheckConstraint("status <> 'sent' OR sent_at IS NOT NULL", name="ck_payment_batches_sent_at"),
        CheckConstraint("status <> 'cancelled' OR cancelled_at IS NOT NULL", name="ck_payment_batches_cancelled_at"),
        Index("ix_payment_batches_call_status", "call_id", "status", "created_at"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    call_id: uuid.UUID = Field(sa_column=Column(Uuid, ForeignKey("calls.id"), nullable=False))
    message_id: str = Field(max_length=35, unique=True)  # the file's MsgId and PmtInfId
    status: str = Field(default="open", max_length=10)
    payments: int
    total: Decimal = Field(sa_column=money_column())
    currency: str = Field(max_length=3)
    document: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # the pain.001 file, as made
    created_by: uuid.UUID
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    sent_by: uuid.UUID | None = None
    sent_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    cancelled_by: uuid.UUID | None = None
    cancelled_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


class BatchPayment(Base, table=True):
    """A payment instruction in a batch; `released_at` set when the batch was cancelled."""

    __tablename__ = "payment_batch_items"
    __table_args__ = (
        UniqueConstraint("batch_id", "instruction_id", name="uq_payment_batch_items_batch_instruction"),
        Index(
            "uq_payment_batch_items_live_instruction",
            "instruction_id",
            unique=True,
            sqlite_where=UNRELEASED,
            postgresql_where=UNRELEASED,
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    batch_id: uuid.UUID = Field(sa_column=Column(Uuid, ForeignKey("payment_batches.id"), nullable=False))
    instruction_id: uuid.UUID = Field(sa_column=Column(Uuid, ForeignKey("instructions.id"), nullable=False))
    seq: int  # its place in the file
    released_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
