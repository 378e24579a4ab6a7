"""The answer to a bank status file upload (`POST /payment-batches/{id}/status-reports`)."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, Field


class ReportConflict(BaseModel):
    """A payment of the batch the file names but that nothing was changed for."""

    instruction_id: uuid.UUID
    reason: Literal["amount_mismatch", "currency_mismatch", "settled_after_failed", "failed_after_settled"]


class StatusReportOut(BaseModel):
    settled: list[uuid.UUID] = Field(description="instructions settled by this file")
    failed: list[uuid.UUID] = Field(
        description="instructions failed by this file (their tranches may be requested again)"
    )
    already_known: list[uuid.UUID] = Field(description="instructions this file reports as they were already reported")
    unmatched: int = Field(
        description="entries of the file that name no payment of this batch (other account movements)"
    )
    pending: list[uuid.UUID] = Field(
        description="payments of the batch the bank reports neither settled nor failed yet"
    )
    conflicts: list[ReportConflict] = Field(
        description="payments of the batch the file contradicts (amount, or an earlier report): nothing changed, "
        "a contradicting report is kept as a payment alert"
    )
    kind: Literal["pain.002", "camt.054", "camt.053"]
    version: str = Field(description="the message version, e.g. camt.054.001.08")
    message_id: str = Field(description="the file's GrpHdr/MsgId")
    sha256: str = Field(description="SHA-256 of the uploaded bytes, as kept in the audit trail")
