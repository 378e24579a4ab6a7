"""Scoring's own events besides `application.scored` / `.decided` (in `applications.py`, where
the contract first named them). Counts only: no officer or member ids, names or scores of one
reviewer."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from shared.events.envelope import EventData
from shared.money import Money

Reviewers = Annotated[int, Field(ge=0, le=100)]


class ApplicationAssignedV1(EventData, subject="edf.scoring.application.assigned.v1"):
    """Reviewers were assigned to an application (first assignment, a replacement after a
    recusal, a late officer taking pending work, or one more reviewer after divergence)."""

    application_id: uuid.UUID
    call_id: uuid.UUID
    reviewers: Reviewers  # officers now reviewing it (pending or submitted)
    required: Reviewers  # reviews needed before it is scored
    assigned_at: datetime


class DecisionProposedV1(EventData, subject="edf.scoring.decision.proposed.v1"):
    """A committee member proposed a decision that the call's quorum has not reached yet: it is
    not applied (no `application.decided`, no budget used). `approvals` counts the distinct
    members who proposed this same decision (same application, decision and amount)."""

    proposal_id: uuid.UUID
    application_id: uuid.UUID
    call_id: uuid.UUID
    decision: Literal["awarded", "rejected", "waitlisted"]
    amount: Money | None = None
    currency: str
    approvals: Annotated[int, Field(ge=1, le=100)]
    quorum: Annotated[int, Field(ge=1, le=100)]
    proposed_at: datetime
