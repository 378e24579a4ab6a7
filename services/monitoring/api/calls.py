"""Thin routes of a call's indicators and exports."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from services.monitoring.api.deps import DatabaseDep, PublisherDep, Staff
from services.monitoring.handlers import indicators
from services.monitoring.handlers.exports import csv_hxl, giving360, iati
from services.monitoring.models.api import IndicatorsOut
from shared.downloads import attachment

router = APIRouter(prefix="/api/v1/calls", tags=["monitoring"])
NO_CALL_OR_GRANT: dict[int | str, dict[str, Any]] = {
    404: {"description": "no such call"},
    409: {"description": "the call has no grants yet (the standard needs at least one)"},
}


@router.get("/{call_id}/indicators", response_model=IndicatorsOut)
def call_indicators(call_id: uuid.UUID, db: DatabaseDep, _: Staff) -> IndicatorsOut:
    """What monitoring knows of a call's applications and grants: counts and sums by SQL aggregates."""
    return indicators.call_indicators(db, call_id)


@router.get(
    "/{call_id}/export.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "CSV with an HXL hashtag row"}},
)
def call_export_csv(call_id: uuid.UUID, db: DatabaseDep, _: Staff) -> Response:
    """One row per grant of the call; the second row holds the HXL hashtags."""
    filename, document = csv_hxl.call_csv(db, call_id)
    return attachment(document, "text/csv; charset=utf-8", filename)


@router.get(
    "/{call_id}/export.iati.xml",
    response_class=Response,
    responses={
        200: {"content": {"application/xml": {}}, "description": "IATI 2.03 activities, one per grant"},
        **NO_CALL_OR_GRANT,
    },
)
def call_export_iati(call_id: uuid.UUID, db: DatabaseDep, _: Staff, by: PublisherDep) -> Response:
    """One IATI activity per grant: commitment, disbursements, sector and governorate; grantees by reference."""
    filename, document = iati.call_iati(db, call_id, by)
    return attachment(document, "application/xml", filename)


@router.get(
    "/{call_id}/export.360giving.json",
    response_class=Response,
    responses={
        200: {"content": {"application/json": {}}, "description": "a 360Giving data package"},
        **NO_CALL_OR_GRANT,
    },
)
def call_export_360giving(call_id: uuid.UUID, db: DatabaseDep, _: Staff, by: PublisherDep) -> Response:
    """One 360Giving grant per grant of the call; recipients by application reference, not by name."""
    filename, document = giving360.call_360giving(db, call_id, by)
    return attachment(document, "application/json", filename)
