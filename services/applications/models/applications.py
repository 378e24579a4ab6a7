"""Applications and their documents: tables."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Index, UniqueConstraint, Uuid, text
from sqlmodel import Field

from services.applications.models.base import Base


class CallCounter(Base, table=True):
    """The next reference number of a call; its row is locked while a reference is taken."""

    __tablename__ = "call_counters"

    call_id: uuid.UUID = Field(sa_column=Column(Uuid, ForeignKey("calls.id"), primary_key=True))
    next_number: int = 1


class Application(Base, table=True):
    __tablename__ = "applications"
    __table_args__ = (
        Index("ix_applications_call_status", "call_id", "status"),
        Index("ix_applications_call_national_id", "call_id", "national_id_hash"),
        Index("ix_applications_call_phone", "call_id", "phone_hash"),
        Index("ix_applications_call_registration", "call_id", "registration_key"),
        Index("ix_applications_applicant", "applicant_id", "created_at"),
        # One application per applicant account per call (a second draft is a 409).
        UniqueConstraint("call_id", "applicant_id", name="uq_applications_call_applicant"),
        Index("ix_applications_call_name_block", "call_id", "name_block"),
        Index(
            "ix_applications_awarded_name_block",
            "name_block",
            postgresql_where=text("status = 'awarded'"),
            sqlite_where=text("status = 'awarded'"),
        ),
        # Screening's "awarded before, in another call" look-ups (a scan of every application else)
        Index(
            "ix_applications_awarded_national_id",
            "national_id_hash",
            postgresql_where=text("status = 'awarded'"),
            sqlite_where=text("status = 'awarded'"),
        ),
        Index(
            "ix_applications_awarded_registration",
            "registration_key",
            postgresql_where=text("status = 'awarded'"),
            sqlite_where=text("status = 'awarded'"),
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    reference: str = Field(max_length=32, unique=True)
    call_id: uuid.UUID = Field(sa_column=Column(Uuid, ForeignKey("calls.id"), nullable=False))
    applicant_id: uuid.UUID
    status: str = Field(default="draft", max_length=16)
    business: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    owner: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    plan: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    consent: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # The national id itself is never stored: a keyed hash (duplicates) and its last 4 characters.
    national_id_hash: str | None = Field(default=None, max_length=64)
    national_id_last4: str | None = Field(default=None, max_length=4)
    phone_hash: str | None = Field(default=None, max_length=64)
    registration_key: str | None = Field(default=None, max_length=64)
    # The owner name's consonant skeleton (domain/names.py), compared inside this service only.
    name_skeleton: str | None = Field(default=None, max_length=200)
    name_block: str | None = Field(default=None, max_length=4)
    screening: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    outcome: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    submitted_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


class Document(Base, table=True):
    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("storage_name"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    application_id: uuid.UUID = Field(sa_column=Column(Uuid, ForeignKey("applications.id"), nullable=False, index=True))
    kind: str = Field(max_length=16)
    filename: str = Field(max_length=120)
    size: int
    content_type: str = Field(max_length=40)
    sha256: str = Field(max_length=64)
    storage_name: str = Field(max_length=80)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
