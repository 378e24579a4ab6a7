"""Scoring's own events besides `application.scored` / `.decided` (in `applications.py`, where
the contract first named them). Counts only: no officer ids, names or scores of one reviewer."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field

from shared.events.envelope import EventData

Reviewers = Annotated[int, Field(ge=0, le=100)]


class ApplicationAssignedV1(EventData, subject="edf.scoring.application.assigned.v1"):
    """Reviewers were assigned to an application (first assignment, a replacement after a
    recusal, a late officer taking pending work, or one more reviewer after divergence)."""

    application_id: uuid.UUID
    call_id: uuid.UUID
    reviewers: Reviewers  # officers now reviewing it (pending or submitted)
    required: Reviewers  # reviews needed before it is scored
    assigned_at: datetime
