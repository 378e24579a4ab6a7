"""Thin routes of documents: uploads are streamed to disk and judged by their content."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import FileResponse

from services.applications.api.deps import Applicant, DatabaseDep, IntakeDep, SignedIn
from services.applications.handlers import documents as handlers
from services.applications.models.api import DocumentOut
from shared.downloads import stored_file
from shared.errors import PayloadTooLarge

router = APIRouter(prefix="/api/v1/applications/{application_id}/documents", tags=["documents"])
MULTIPART_OVERHEAD = 64 * 1024


def refuse_oversized_body(request: Request, config: IntakeDep) -> None:
    """Refuses by the declared length before the body is read at all."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > config.max_document_bytes + MULTIPART_OVERHEAD:
        raise PayloadTooLarge(f"a document may be at most {config.max_document_bytes // (1024 * 1024)} MB")


@router.post("", status_code=201, response_model=DocumentOut, dependencies=[Depends(refuse_oversized_body)])
def upload_document(
    application_id: uuid.UUID,
    file: Annotated[UploadFile, File()],
    kind: Annotated[Literal["registration", "quote", "photo", "other"], Form()],
    db: DatabaseDep,
    applicant: Applicant,
    config: IntakeDep,
) -> DocumentOut:
    return handlers.add_document(db, applicant, application_id, kind, file.filename, file.file, config)


@router.get("/{document_id}", response_class=FileResponse)
def download_document(
    application_id: uuid.UUID, document_id: uuid.UUID, db: DatabaseDep, principal: SignedIn, config: IntakeDep
) -> FileResponse:
    document, path = handlers.document_file(db, principal, application_id, document_id, config)
    return stored_file(path, document.content_type, document.filename)


@router.delete("/{document_id}", status_code=204)
def delete_document(
    application_id: uuid.UUID, document_id: uuid.UUID, db: DatabaseDep, applicant: Applicant, config: IntakeDep
) -> None:
    handlers.delete_document(db, applicant, application_id, document_id, config)
