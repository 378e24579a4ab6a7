"""Committee quorum: decisions proposed before the call's quorum is reached, and recusals."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Column, DateTime, ForeignKey, Index, Text, UniqueConstraint, Uuid
from sqlmodel import Field

from services.scoring.models.base import Base
from shared.tables import money_column


class DecisionProposal(Base, table=True):
    """One member's proposal of a decision on one application.

    `status`: `open` (counting towards the quorum), `applied` (the quorum was reached and the
    decision applied), `superseded` (another decision on the application was applied), `withdrawn`
    (the member proposed something else for it, or recused). A member has at most one open
    proposal per application; proposals of different members that differ are competing ones.
    """

    __tablename__ = "decision_proposals"
    __table_args__ = (
        Index("ix_decision_proposals_application", "application_id", "status"),
        Index("ix_decision_proposals_call", "call_id", "status", "proposed_at", "id"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    call_id: uuid.UUID = Field(sa_column=Column(Uuid, ForeignKey("calls.id"), nullable=False))
    application_id: uuid.UUID = Field(sa_column=Column(Uuid, ForeignKey("applications.id"), nullable=False))
    decision: str = Field(max_length=12)  # awarded, rejected, waitlisted
    amount: Decimal | None = Field(default=None, sa_column=money_column(nullable=True))
    reason: str | None = Field(default=None, sa_column=Column(Text))
    proposed_by: uuid.UUID = Field(sa_column=Column(Uuid, nullable=False))
    proposed_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    status: str = Field(default="open", max_length=10)
    settled_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


class CommitteeRecusal(Base, table=True):
    """A committee member who declared a conflict of interest with an application: their
    proposals on it are refused (`recused`) and never count towards the quorum."""

    __tablename__ = "committee_recusals"
    __table_args__ = (UniqueConstraint("application_id", "member_id", name="uq_committee_recusals_member"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    call_id: uuid.UUID = Field(sa_column=Column(Uuid, ForeignKey("calls.id"), nullable=False))
    application_id: uuid.UUID = Field(sa_column=Column(Uuid, ForeignKey("applications.id"), nullable=False))
    member_id: uuid.UUID = Field(sa_column=Column(Uuid, nullable=False))
    reason: str = Field(sa_column=Column(Text, nullable=False))
    declared_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
