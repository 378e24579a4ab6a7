"""What the applications use cases share: loading with visibility rules, the output shape."""

from __future__ import annotations

import uuid

from sqlmodel import Session, col, select

from services.applications.models import Application, Call, Document
from services.applications.models.application_api import ApplicationOut, DocumentOut, OwnerOut, ScreeningOut
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


def application_out(session: Session, application: Application, *, new: bool = False) -> ApplicationOut:
    """`new`: the application was created in this session, so it has no documents yet."""
    call = session.get(Call, application.call_id)
    assert call is not None
    documents = (
        []
        if new
        else session.exec(
            select(Document).where(Document.application_id == application.id).order_by(col(Document.created_at))
        ).all()
    )
    return ApplicationOut(
        id=application.id,
        reference=application.reference,
        call_id=application.call_id,
        applicant_id=application.applicant_id,
        status=application.status,
        currency=call.spec["currency"],
        business=application.business,
        owner=OwnerOut(**application.owner, national_id_last4=application.national_id_last4),
        plan=application.plan,
        consent=application.consent,
        screening=ScreeningOut(**application.screening) if application.screening else None,
        outcome=application.outcome,
        documents=[DocumentOut.model_validate(d, from_attributes=True) for d in documents],
        created_at=application.created_at,
        updated_at=application.updated_at,
        submitted_at=application.submitted_at,
    )
