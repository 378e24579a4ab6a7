"""The API's output models of applications, built from their rows."""

from __future__ import annotations

from sqlmodel import Session, col, select

from services.applications.domain.screening import owner_view
from services.applications.models import Application, Call, Document
from services.applications.models.api import ApplicationOut, DocumentOut, OwnerOut, ScreeningOut


def screening_out(application: Application, *, staff: bool) -> ScreeningOut | None:
    """Staff see the flags; the owner sees their own reasons only ("being verified" meanwhile)."""
    if not application.screening:
        return None
    return ScreeningOut(**(application.screening if staff else owner_view(application.screening)))


def application_out(
    session: Session, application: Application, *, new: bool = False, staff: bool = False
) -> ApplicationOut:
    """`new`: the application was created in this session, so it has no documents yet. `staff`:
    the caller is staff (screening flags are shown to staff only)."""
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
        screening=screening_out(application, staff=staff),
        outcome=application.outcome,
        documents=[DocumentOut.model_validate(d, from_attributes=True) for d in documents],
        created_at=application.created_at,
        updated_at=application.updated_at,
        submitted_at=application.submitted_at,
    )
