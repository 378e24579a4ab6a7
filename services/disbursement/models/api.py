"""Request and response models of grants, tranches, payments and the ledger."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, StringConstraints

from shared.fields import Input, NoControl, Utc
from shared.money import Money

# SQLite hands back naive datetimes; every stored time is UTC.
# A payee's name and account reach the pain.001 file: no control characters (XML 1.0).
Text34 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40), NoControl]
Text60 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60), NoControl]
Text140 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=140), NoControl]
Text500 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), NoControl]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=4, max_length=32), NoControl]


class PayeeIn(Input):
    method: Literal["bank", "mobile_money"]
    account_holder: Text140
    account_number: Text34 | None = None
    iban: Text34 | None = None
    bank_name: Text140 | None = None
    bic: Annotated[str, StringConstraints(strip_whitespace=True, min_length=8, max_length=14), NoControl] | None = None
    wallet_phone: Code | None = None
    wallet_provider: Text60 | None = None


class PayeeConfirmIn(Input):
    """The payout details being confirmed, as the confirmer was shown them (`payee.id`)."""

    payee_id: uuid.UUID


class PayeeOut(BaseModel):
    """Account numbers, IBANs and wallet phones are `****` + their last 4 unless `masked` is false.

    `status` is `pending` for details staff recorded until the grantee or another officer
    confirms them (`confirmed_by`, `confirmed_at`); the grantee's own are `confirmed` as recorded."""

    id: uuid.UUID
    method: str
    account_holder: str
    account_number: str | None = None
    iban: str | None = None
    bank_name: str | None = None
    bic: str | None = None
    wallet_phone: str | None = None
    wallet_provider: str | None = None
    masked: bool
    recorded_at: Utc
    recorded_by: uuid.UUID | None = None
    recorded_as: Literal["grantee", "staff"] | None = None
    status: Literal["pending", "confirmed"] | None = None
    confirmed_by: uuid.UUID | None = None
    confirmed_at: Utc | None = None


class PayeeRecordOut(BaseModel):
    """Who recorded the payout details a tranche was requested for, and who confirmed them: what
    the finance approver checks (no account data)."""

    payee_id: uuid.UUID
    recorded_by: uuid.UUID
    recorded_as: Literal["grantee", "staff"]
    recorded_at: Utc
    status: Literal["pending", "confirmed"]
    confirmed_by: uuid.UUID | None
    confirmed_at: Utc | None
    current: bool  # still the grant's latest payout details (else approval is refused)


class TrancheOut(BaseModel):
    id: uuid.UUID
    seq: int
    percent: Money
    amount: Money
    milestone: str
    status: str
    requested_by: uuid.UUID | None
    approved_by: uuid.UUID | None
    instruction_id: uuid.UUID | None  # the latest instruction (a failed payment is instructed again)
    attempts: int
    paid_at: Utc | None
    payee_record: PayeeRecordOut | None = None  # of the details it was requested for


class GrantOut(BaseModel):
    id: uuid.UUID
    application_id: uuid.UUID
    reference: str
    call_id: uuid.UUID
    amount: Money
    currency: str
    status: str
    paid: Money
    tranches: list[TrancheOut]
    payee: PayeeOut | None
    created_at: Utc
    completed_at: Utc | None


class TrancheActionOut(BaseModel):
    id: uuid.UUID
    status: str
    instruction_id: uuid.UUID | None = None


class SettlementIn(Input):
    status: Literal["settled", "failed"]
    at: AwareDatetime
    bank_reference: Text140 | None = None
    reason: Text500 | None = None


class SettlementOut(BaseModel):
    """The instruction's settlement as first reported (a repeated report changes nothing)."""

    instruction_id: uuid.UUID
    status: str
    at: Utc
    bank_reference: str | None
    reason: str | None
    tranche_id: uuid.UUID
    tranche_status: str


class PaymentOut(BaseModel):
    id: uuid.UUID
    tranche_id: uuid.UUID
    grant_id: uuid.UUID
    call_id: uuid.UUID
    attempt: int
    amount: Money
    currency: str
    status: str
    reference: str
    remittance_info: str
    payee: PayeeOut
    requested_by: uuid.UUID
    approved_by: uuid.UUID
    instructed_at: Utc
    settlement: SettlementOut | None


class LedgerOut(BaseModel):
    """From the rows: `awarded` the grants, `instructed` payments sent and not yet settled or
    failed, `disbursed` payments settled, `available` what is left to award."""

    call_id: uuid.UUID
    currency: str
    budget: Money
    awarded: Money
    instructed: Money
    disbursed: Money
    available: Money


class AlertOut(BaseModel):
    id: uuid.UUID
    instruction_id: uuid.UUID
    kind: str
    reported_at: Utc
    bank_reference: str | None
    reason: str | None
    source: str
    raised_at: Utc


class BatchOut(BaseModel):
    """A payment batch: `payments` transfers summing to `total`, in one pain.001 file (`message_id`)."""

    id: uuid.UUID
    call_id: uuid.UUID
    message_id: str
    status: Literal["open", "sent", "cancelled"]
    payments: int
    total: Money
    currency: str
    instruction_ids: list[uuid.UUID]  # in the file's order (its `EndToEndId`s, as 32 hex digits)
    created_by: uuid.UUID
    created_at: Utc
    sent_by: uuid.UUID | None
    sent_at: Utc | None
    cancelled_by: uuid.UUID | None
    cancelled_at: Utc | None
