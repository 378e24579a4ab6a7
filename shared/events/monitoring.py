"""Monitoring's events that other services consume, exactly as docs/events.md names their fields.

Disbursement gates tranches on `milestone.verified` and holds payments on `grant.flagged`
(with `hold_payments`) until `flag.resolved`. Ids only: no names, findings or locations.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from shared.events.calls import Key
from shared.events.envelope import EventData
from shared.events.registry import register


@register("edf.monitoring.visit.recorded.v1")
class VisitRecordedV1(EventData):
    visit_id: uuid.UUID
    grant_id: uuid.UUID
    visited_on: date
    kind: Literal["verification", "follow_up"]
    jobs_verified: int  # jobs seen at this visit (new and already known)


@register("edf.monitoring.milestone.verified.v1")
class MilestoneVerifiedV1(EventData):
    grant_id: uuid.UUID
    milestone: Key  # a key of the call's tranche plan, e.g. `assets_purchased`
    verified_at: datetime


@register("edf.monitoring.grant.flagged.v1")
class GrantFlaggedV1(EventData):
    flag_id: uuid.UUID
    grant_id: uuid.UUID
    hold_payments: bool


@register("edf.monitoring.flag.resolved.v1")
class FlagResolvedV1(EventData):
    flag_id: uuid.UUID
    grant_id: uuid.UUID
    hold_payments: bool
