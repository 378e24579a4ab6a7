"""Account events from the gateway: ids and roles only (no e-mail, name or phone)."""

from __future__ import annotations

import uuid
from datetime import datetime

from shared.events.envelope import EventData
from shared.roles import Role


class UserCreatedV1(EventData, subject="edf.gateway.user.created.v1"):
    """An account was created (a sign-up, or a staff account made by an admin); scoring takes
    officers into its pool of reviewers."""

    user_id: uuid.UUID
    role: Role
    active: bool = True
    created_at: datetime
