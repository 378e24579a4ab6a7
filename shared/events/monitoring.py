"""Monitoring's events that other services consume, exactly as docs/events.md names their fields.

Disbursement gates tranches on `milestone.verified` and holds payments on `grant.flagged`
(with `hold_payments`) until `flag.resolved`. Ids only: no names, findings or locations.
Who verified a milestone and who resolved a flag (`verified_by`, `resolved_by`: staff account
ids, as `requested_by` and `approved_by` on `tranche.approved`) let disbursement keep four eyes
on a tranche: the officer who requests it is not the one who verified its milestone or released
the grant's hold. Events published before these fields existed carry none: who did it is then
unknown and nothing is refused on that ground.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from shared.events.calls import Key
from shared.events.envelope import EventData


class VisitRecordedV1(EventData, subject="edf.monitoring.visit.recorded.v1"):
    """A monitor recorded a visit to a grantee's business and the jobs verified there."""

    visit_id: uuid.UUID
    grant_id: uuid.UUID
    visited_on: date
    kind: Literal["verification", "follow_up"]
    jobs_verified: int  # jobs seen at this visit (new and already known)


class MilestoneVerifiedV1(EventData, subject="edf.monitoring.milestone.verified.v1"):
    """A milestone of a grant's tranche plan was verified (at a visit or by an officer):
    disbursement releases the tranches it gates."""

    grant_id: uuid.UUID
    milestone: Key  # a key of the call's tranche plan, e.g. `assets_purchased`
    verified_at: datetime
    verified_by: uuid.UUID | None = None  # the account that verified it (absent before #15)


class GrantFlaggedV1(EventData, subject="edf.monitoring.grant.flagged.v1"):
    """A flag was raised on a grant; with `hold_payments`, disbursement holds the grant's payments
    until the flag is resolved."""

    flag_id: uuid.UUID
    grant_id: uuid.UUID
    hold_payments: bool


class FlagResolvedV1(EventData, subject="edf.monitoring.flag.resolved.v1"):
    """A flag on a grant was resolved: the payments it held are released."""

    flag_id: uuid.UUID
    grant_id: uuid.UUID
    hold_payments: bool
    resolved_by: uuid.UUID | None = None  # the account that resolved it (absent before #15)
