"""Which applications a caller may see or change: loading with the visibility rules."""

from __future__ import annotations

import uuid

from sqlmodel import Session, select

from services.applications.models import Application
from shared.auth import Principal
from shared.errors import NotFound


def visible_application(
    session: Session, principal: Principal, application_id: uuid.UUID, *, lock: bool = False
) -> Application:
    """The application if the caller may see it; 404 otherwise (also for others' applications)."""
    query = select(Application).where(Application.id == application_id)
    if lock:
        query = query.with_for_update()
    application = session.exec(query).first()
    if application is None or not (principal.is_staff or application.applicant_id == principal.id):
        raise NotFound("no such application")
    return application


def owned_application(session: Session, principal: Principal, application_id: uuid.UUID) -> Application:
    """The caller's own application, locked for a change (staff get 404 too: only owners change)."""
    application = visible_application(session, principal, application_id, lock=True)
    if application.applicant_id != principal.id:
        raise NotFound("no such application")
    return application
