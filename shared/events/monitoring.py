"""Monitoring's events that other services consume, exactly as CONTRACT.md names their fields.

Disbursement gates tranches on `milestone.verified` and holds payments on `grant.flagged`
(with `hold_payments`) until `flag.resolved`. Ids only: no names, findings or locations.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from shared.events.calls import Key
from shared.events.envelope import EventData


class VisitRecordedV1(EventData, subject="edf.monitoring.visit.recorded.v1"):
    visit_id: uuid.UUID
    grant_id: uuid.UUID
    visited_on: date
    kind: Literal["verification", "follow_up"]
    jobs_verified: int  # jobs seen at this visit (new and already known)


class MilestoneVerifiedV1(EventData, subject="edf.monitoring.milestone.verified.v1"):
    grant_id: uuid.UUID
    milestone: Key  # a key of the call's tranche plan, e.g. `assets_purchased`
    verified_at: datetime


class GrantFlaggedV1(EventData, subject="edf.monitoring.grant.flagged.v1"):
    flag_id: uuid.UUID
    grant_id: uuid.UUID
    hold_payments: bool


class FlagResolvedV1(EventData, subject="edf.monitoring.flag.resolved.v1"):
    flag_id: uuid.UUID
    grant_id: uuid.UUID
    hold_payments: bool
