"""The API's output models of monitoring, built from their rows."""

from __future__ import annotations

from services.monitoring.models import Flag
from services.monitoring.models.api import FlagOut


def flag_out(flag: Flag, *, internal: bool = True) -> FlagOut:
    """`internal=False` for the grantee: the reason is left out (it may tip off an investigation)."""
    return FlagOut(
        id=flag.id,
        grant_id=flag.grant_id,
        reason=flag.reason if internal else None,
        hold_payments=flag.hold_payments,
        raised_at=flag.raised_at,
        resolved_at=flag.resolved_at,
        status="resolved" if flag.resolved_at is not None else "open",
    )
