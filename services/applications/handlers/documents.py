"""Use cases of documents: upload (streamed, checked by content), download, delete."""

from __future__ import annotations

import hashlib
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from sqlmodel import Session, func, select

from services.applications.domain import intake
from services.applications.domain.documents import SNIFF_BYTES, content_type_of, display_name
from services.applications.handlers import privacy
from services.applications.handlers.access import owned_application, visible_application
from services.applications.models import Document
from services.applications.models.api import DocumentOut
from services.applications.settings import IntakeConfig
from shared.auth import Principal
from shared.db import Database
from shared.errors import Conflict, NotFound, PayloadTooLarge, UnsupportedMediaType
from shared.privacy import IDENTIFYING_DOCUMENTS
from shared.uow import Actor, UnitOfWork

CHUNK = 64 * 1024


def add_document(
    db: Database,
    principal: Principal,
    application_id: uuid.UUID,
    kind: str,
    filename: str | None,
    source: BinaryIO,
    config: IntakeConfig,
) -> DocumentOut:
    with Session(db.engine) as session:
        _check_can_add(session, principal, application_id, config)
    storage_name = uuid.uuid4().hex
    target = config.documents_dir / storage_name[:2] / storage_name
    size, digest, content_type = _store(source, target, config.max_document_bytes)
    try:
        with UnitOfWork(db, Actor.of(principal)) as uow:
            _check_can_add(uow.session, principal, application_id, config)
            document = Document(
                application_id=application_id,
                kind=kind,
                filename=display_name(filename),
                size=size,
                content_type=content_type,
                sha256=digest,
                storage_name=storage_name,
                created_at=datetime.now(UTC),
            )
            uow.session.add(document)
            uow.audit(
                "document.added",
                "application",
                application_id,
                after={"document_id": str(document.id), "kind": kind, "size": size},
            )
            uow.commit()
            return DocumentOut.model_validate(document, from_attributes=True)
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def _check_can_add(session: Session, principal: Principal, application_id: uuid.UUID, config: IntakeConfig) -> None:
    application = owned_application(session, principal, application_id)
    intake.ensure_editable(intake.Status(application.status))
    count = session.exec(select(func.count()).where(Document.application_id == application_id)).one()
    if count >= config.max_documents:
        raise Conflict(f"an application holds at most {config.max_documents} documents")


def _store(source: BinaryIO, target: Path, limit: int) -> tuple[int, str, str]:
    """Streams to a temporary file next to the target; nothing is kept unless all checks pass."""
    head = source.read(SNIFF_BYTES)
    content_type = content_type_of(head)
    if content_type is None:
        raise UnsupportedMediaType("only PDF, JPEG and PNG files are accepted (judged by their content)")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    digest, size = hashlib.sha256(head), len(head)
    try:
        with partial.open("wb") as out:
            out.write(head)
            while chunk := source.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise PayloadTooLarge(f"a document may be at most {limit // (1024 * 1024)} MB")
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        partial.rename(target)
    finally:
        partial.unlink(missing_ok=True)
    return size, digest.hexdigest(), content_type


def document_file(
    db: Database, principal: Principal, application_id: uuid.UUID, document_id: uuid.UUID, config: IntakeConfig
) -> tuple[DocumentOut, Path]:
    """An identifying document (registration certificate, ID scans) is 404 to a caller whose
    view of the application is blind; a staff download of one is audited."""
    with UnitOfWork(db, Actor.of(principal)) as uow:
        application = visible_application(uow.session, principal, application_id)
        document = uow.session.get(Document, document_id)
        if document is None or document.application_id != application_id:
            raise NotFound("no such document")
        view = privacy.view_for(principal, application)
        if not privacy.document_visible(view, document):
            raise NotFound("no such document")
        if view.audited and document.kind in IDENTIFYING_DOCUMENTS:
            route = "GET /api/v1/applications/{id}/documents/{document_id}"
            privacy.audit_reads(uow, route, [(application_id, [f"document.{document.kind}:{document_id}"])])
            uow.commit()
        path = config.documents_dir / document.storage_name[:2] / document.storage_name
        return DocumentOut.model_validate(document, from_attributes=True), path


def delete_document(
    db: Database, principal: Principal, application_id: uuid.UUID, document_id: uuid.UUID, config: IntakeConfig
) -> None:
    with UnitOfWork(db, Actor.of(principal)) as uow:
        application = owned_application(uow.session, principal, application_id)
        intake.ensure_editable(intake.Status(application.status))
        document = uow.session.get(Document, document_id)
        if document is None or document.application_id != application_id:
            raise NotFound("no such document")
        uow.session.delete(document)
        uow.audit("document.deleted", "application", application_id, before={"document_id": str(document_id)})
        uow.commit()
    (config.documents_dir / document.storage_name[:2] / document.storage_name).unlink(missing_ok=True)
