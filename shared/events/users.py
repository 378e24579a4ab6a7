"""Account events from the gateway: ids and roles only (no e-mail, name or phone)."""

from __future__ import annotations

import uuid
from datetime import datetime

from shared.events.envelope import EventData
from shared.events.registry import register
from shared.roles import Role


@register("edf.gateway.user.created.v1")
class UserCreatedV1(EventData):
    user_id: uuid.UUID
    role: Role
    active: bool = True
    created_at: datetime
