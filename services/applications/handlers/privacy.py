"""What a caller is shown of an application's identity (shared/privacy.py) and the audit of
every staff read of it: who, which application, which fields, when, through which route."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from services.applications.models import Application, Document
from services.applications.models.api import ApplicationOut
from shared.auth import Principal
from shared.privacy import BUSINESS_IDENTITY, IDENTIFYING_DOCUMENTS, OWNER_IDENTITY, READ_ACTION, View, view_of
from shared.uow import UnitOfWork

OWNER_KEYS = frozenset(f"owner.{f}" for f in OWNER_IDENTITY)
BUSINESS_KEYS = frozenset(f"business.{f}" for f in BUSINESS_IDENTITY)


def view_for(principal: Principal, application: Application, *, blind: bool = False) -> View:
    return view_of(
        principal.role, owner=application.applicant_id == principal.id, status=application.status, blind=blind
    )


def shown(out: ApplicationOut, view: View) -> tuple[ApplicationOut, list[str]]:
    """The output with the identity fields the view does not show removed, and the identity
    fields (and identifying documents) it does show, that were given."""
    read: list[str] = []
    owner = out.owner.model_dump()
    for name, value in list(owner.items()):
        if f"owner.{name}" in OWNER_KEYS:
            if f"owner.{name}" in view.fields:
                read += [f"owner.{name}"] if value is not None else []
            else:
                owner[name] = None
    business = {}
    for name, value in out.business.items():
        key = f"business.{name}"
        if key not in BUSINESS_KEYS:
            business[name] = value
        elif key in view.fields:
            business[name] = value
            read.append(key)
    documents = [d for d in out.documents if view.identifying_documents or d.kind not in IDENTIFYING_DOCUMENTS]
    read += sorted({f"document.{d.kind}" for d in documents if d.kind in IDENTIFYING_DOCUMENTS})
    redacted = out.model_copy(update={"owner": type(out.owner)(**owner), "business": business, "documents": documents})
    return redacted, sorted(read)


def document_visible(view: View, document: Document) -> bool:
    return view.identifying_documents or document.kind not in IDENTIFYING_DOCUMENTS


def audit_reads(uow: UnitOfWork, route: str, reads: Iterable[tuple[uuid.UUID, list[str]]]) -> bool:
    """One audit row per application whose identity was shown; True when any was written."""
    written = False
    for application_id, fields in reads:
        if fields:
            uow.audit(READ_ACTION, "application", application_id, after={"fields": fields, "route": route})
            written = True
    return written
