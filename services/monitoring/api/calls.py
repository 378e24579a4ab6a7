"""Thin routes of a call's indicators and exports."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from services.monitoring.handlers import exports, reports
from services.monitoring.models.api import IndicatorsOut
from shared.app import Db
from shared.auth import STAFF, Principal, require_roles

router = APIRouter(prefix="/api/v1/calls", tags=["monitoring"])
Staff = Annotated[Principal, Depends(require_roles(*STAFF))]


@router.get("/{call_id}/indicators", response_model=IndicatorsOut)
def call_indicators(call_id: uuid.UUID, db: Db, _: Staff) -> IndicatorsOut:
    """What monitoring knows of a call's grants: counts and sums by SQL aggregates."""
    return reports.call_indicators(db, call_id)


@router.get("/{call_id}/export.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}, "description": "CSV with an HXL hashtag row"}})
def call_export_csv(call_id: uuid.UUID, db: Db, _: Staff) -> Response:
    """One row per grant of the call; the second row holds the HXL hashtags."""
    filename, document = exports.call_csv(db, call_id)
    return Response(document, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "private, no-store"})
