"""Resolving a screening flag, four eyes: an intake officer proposes (clear or confirm
ineligible, with a reason); another person approves; only then it takes effect."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.errors import Conflict, Forbidden


def propose(screening: dict[str, Any] | None, outcome: str, reason: str, by: str, at: datetime) -> dict[str, Any]:
    """The screening record with the proposal (a newer proposal replaces a pending one)."""
    if not screening or screening.get("state") != "flagged":
        raise Conflict("this application has no open screening flag", code="not_flagged")
    proposal = {"outcome": outcome, "reason": reason, "proposed_by": by, "proposed_at": at.isoformat()}
    return {**screening, "resolution": proposal}


def approve(screening: dict[str, Any] | None, by: str, at: datetime) -> dict[str, Any]:
    """The screening record as the approved resolution makes it: eligible (flags kept for staff)
    or ineligible (the held flags become its reasons; the owner is told `not_verified`)."""
    if not screening or screening.get("state") != "flagged":
        raise Conflict("this application has no open screening flag", code="not_flagged")
    proposal = screening.get("resolution")
    if not proposal:
        raise Conflict("no resolution has been proposed", code="no_resolution")
    if proposal["proposed_by"] == by:
        raise Forbidden("a resolution is approved by someone other than who proposed it", code="same_person")
    clear = proposal["outcome"] == "clear"
    return {
        **screening,
        "state": "eligible" if clear else "ineligible",
        "eligible": clear,
        "reasons": [] if clear else list(screening.get("holding") or screening.get("flags", [])),
        "resolution": {**proposal, "approved_by": by, "approved_at": at.isoformat()},
    }
