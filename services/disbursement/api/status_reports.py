"""Thin route of the bank's status files for a payment batch: upload -> handler -> counts.

Which payments a batch holds is a dependency (`api.deps.get_batch_lookup`), wired to the
payment batch table where it lives; until then no batch is known (404)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, File, Request, UploadFile

from services.disbursement.api.deps import BatchLookupDep, DatabaseDep, FinanceMfa, SettingsDep
from services.disbursement.handlers import status_reports
from services.disbursement.models.status_reports import StatusReportOut
from shared.errors import PayloadTooLarge

router = APIRouter(prefix="/api/v1/payment-batches", tags=["disbursement"])
MULTIPART_OVERHEAD = 64 * 1024
CHUNK = 256 * 1024


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"a bank status file may be at most {limit // (1024 * 1024)} MB", code="file_too_large")


def refuse_oversized_body(request: Request, settings: SettingsDep) -> None:
    """Refuses by the declared length before the body is read at all."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > settings.max_status_report_bytes + MULTIPART_OVERHEAD:
        raise _too_large(settings.max_status_report_bytes)


@router.post(
    "/{batch_id}/status-reports",
    response_model=StatusReportOut,
    dependencies=[Depends(refuse_oversized_body)],
)
def upload_status_report(
    batch_id: uuid.UUID,
    file: Annotated[UploadFile, File(description="pain.002, camt.054 or camt.053 (ISO 20022 XML)")],
    db: DatabaseDep,
    finance: FinanceMfa,
    settings: SettingsDep,
    lookup: BatchLookupDep,
) -> StatusReportOut:
    """Settles and fails the batch's payments the file reports (the same path as the settlement
    API; the same file again changes nothing). 422 with a `code` for a file that is not one of
    these messages (`not_xml`, `xml_dtd_forbidden`, `unknown_message`, `unsupported_version`,
    `missing_element`, `invalid_value`, `empty_file`, `other_message`)."""
    limit = settings.max_status_report_bytes
    data = bytearray()
    while chunk := file.file.read(CHUNK):
        data += chunk
        if len(data) > limit:
            raise _too_large(limit)
    return status_reports.apply_status_report(db, finance, batch_id, bytes(data), lookup)
