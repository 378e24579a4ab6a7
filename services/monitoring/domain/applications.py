"""Monitoring's copy of an application: its status, moved only forward."""

from __future__ import annotations

from datetime import datetime

from shared.application_status import ApplicationStatus, next_status


def next_application_status(
    current: str, current_decided_at: datetime | None, incoming: str, incoming_decided_at: datetime | None = None
) -> tuple[str, datetime | None]:
    """(status, decided_at) of monitoring's copy of an application after an event that says
    `incoming`: only forward (`shared.application_status`); a grant is an award."""
    status, decided_at = next_status(
        ApplicationStatus(current), current_decided_at, ApplicationStatus(incoming), incoming_decided_at
    )
    return status.value, decided_at
