"""Thin routes of screening flags (intake officers; a second intake officer or an admin approves)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from services.applications.api.deps import DatabaseDep, IntakeOfficer, IntakeStaff
from services.applications.handlers import screening_review as handlers
from services.applications.models.api import ApplicationOut, ResolutionIn, ScreeningFlagOut

router = APIRouter(prefix="/api/v1", tags=["screening"])


@router.get("/calls/{call_id}/screening-flags", response_model=list[ScreeningFlagOut])
def screening_flags(
    call_id: uuid.UUID, db: DatabaseDep, _: IntakeStaff, held_only: bool = False
) -> list[ScreeningFlagOut]:
    """The call's applications with a screening flag or a possible duplicate by owner name."""
    return handlers.flags_of_call(db, call_id, held_only)


@router.post("/applications/{application_id}/screening/resolution", response_model=ApplicationOut)
def propose_resolution(
    application_id: uuid.UUID, body: ResolutionIn, db: DatabaseDep, principal: IntakeOfficer
) -> ApplicationOut:
    """Clear the flag (eligible) or confirm ineligible, with a reason; takes effect when approved."""
    return handlers.propose(db, principal, application_id, body)


@router.post("/applications/{application_id}/screening/resolution/approve", response_model=ApplicationOut)
def approve_resolution(application_id: uuid.UUID, db: DatabaseDep, principal: IntakeStaff) -> ApplicationOut:
    """A second person (not the proposer: 403 `same_person`) approves; the `screened` event goes out."""
    return handlers.approve(db, principal, application_id)
