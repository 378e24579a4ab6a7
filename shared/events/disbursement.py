"""Disbursement's events: grants, tranches and payment instructions.

Money is a decimal string with `currency` beside it. Only `payment.instructed` carries the
payee's name and account, because a bank needs them to pay; no other event
carries names or phones.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from shared.events.calls import Key, PaymentChannel
from shared.events.envelope import EventData
from shared.money import Money

Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Text140 = Annotated[str, StringConstraints(min_length=1, max_length=140)]


class TrancheFacts(EventData):
    tranche_id: uuid.UUID
    seq: int = Field(ge=1, le=20)
    amount: Money
    milestone: Key
    percent: Money | None = None


class GrantCreatedV1(EventData, subject="edf.disbursement.grant.created.v1"):
    """An award became a grant, with its tranches (the amount and gating milestone of each)."""

    grant_id: uuid.UUID
    application_id: uuid.UUID
    call_id: uuid.UUID
    amount: Money
    currency: Currency
    tranches: list[TrancheFacts]
    reference: str | None = None  # the application's human reference
    created_at: datetime | None = None


class TrancheApprovedV1(EventData, subject="edf.disbursement.tranche.approved.v1"):
    """Finance approved a requested tranche (who requested it, who approved it); its payment
    instruction follows."""

    tranche_id: uuid.UUID
    grant_id: uuid.UUID
    amount: Money
    currency: Currency
    requested_by: uuid.UUID
    approved_by: uuid.UUID
    instruction_id: uuid.UUID | None = None
    approved_at: datetime | None = None
    # How the instruction goes out: `events` (a `payment.instructed` follows) or `bank_file`
    # (no event: it goes to the bank in exactly one payment batch, a pain.001 file).
    channel: PaymentChannel | None = None


class PayeeFacts(EventData):
    """Where to pay: a bank account (IBAN or account number) or a mobile money wallet."""

    method: Literal["bank", "mobile_money"]
    account_holder: Text140
    iban: str | None = None
    account_number: str | None = None
    bank_name: str | None = None
    bic: str | None = None
    wallet_phone: str | None = None  # E.164
    wallet_provider: str | None = None


class PaymentInstructedV1(EventData, subject="edf.disbursement.payment.instructed.v1", carries_payee_data=True):
    """A finance system is told to pay a tranche to its payee. `instruction_id` is the
    idempotency key: pay each instruction at most once."""

    instruction_id: uuid.UUID
    tranche_id: uuid.UUID
    grant_id: uuid.UUID
    reference: str  # the application's reference, e.g. EDF-NIN24-000123
    amount: Money
    currency: Currency
    payee: PayeeFacts
    remittance_info: Text140
    instructed_at: datetime
    call_id: uuid.UUID | None = None
    attempt: int | None = None  # 1, then 2, … after a failed payment of the same tranche
    # Always `events`: an instruction of a `bank_file` call is never announced by this event.
    channel: Literal["events"] | None = None


class TranchePaidV1(EventData, subject="edf.disbursement.tranche.paid.v1"):
    """A tranche was paid: its payment settled."""

    tranche_id: uuid.UUID
    grant_id: uuid.UUID
    amount: Money
    currency: Currency
    paid_at: datetime
    instruction_id: uuid.UUID | None = None


class GrantCompletedV1(EventData, subject="edf.disbursement.grant.completed.v1"):
    """Every tranche of the grant is paid."""

    grant_id: uuid.UUID
    application_id: uuid.UUID | None = None
    call_id: uuid.UUID | None = None
    completed_at: datetime | None = None


class RejectionReason(StrEnum):
    """Why a finance report was not applied (stable codes finance systems can act on)."""

    unknown_instruction = "unknown_instruction"  # no payment instruction with its instruction_id
    invalid_data = "invalid_data"  # its data is not what its type says (fields missing or malformed)
    contradiction = "contradiction"  # it contradicts an earlier report (e.g. settled after failed)
    unparseable = "unparseable"  # not a CloudEvent 1.0 with JSON data, or of a type not consumed


class FinanceReportRejectedV1(EventData, subject="edf.disbursement.finance_report.rejected.v1"):
    """A finance system's report (`edf.finance.*`) was not applied, and why: kept as a dead letter
    or, for a contradiction, as a payment alert. `report_id` is the report's CloudEvents `id` (with
    `report_source` its `source`, when readable); no personal data, no detail beyond the code."""

    report_id: str = Field(min_length=1)
    report_source: str | None = None
    instruction_id: uuid.UUID | None = None
    reason: RejectionReason
