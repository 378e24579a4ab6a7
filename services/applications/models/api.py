"""Request and response models of calls, applications and documents."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, StrictBool, StringConstraints

from services.applications.domain.identity import normalise_identifier, normalise_phone
from shared.events.applications import DisplacementStatus, Sex
from shared.events.calls import CallSpec, GovernorateCode, Sector
from shared.fields import Input, NoControl, Utc
from shared.money import Money


def _identifier(value: str) -> str:
    normalised = normalise_identifier(value)
    if not 4 <= len(normalised) <= 32 or not normalised.isalnum():
        raise ValueError("must be 4 to 32 letters or digits")
    return normalised


# Names and short texts: no control characters (tab, LF and CR aside), as in every XML export.
Text50 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50), NoControl]
Text100 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), NoControl]
Text200 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NoControl]
Text300 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300), NoControl]
Text5000 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
Phone = Annotated[str, StringConstraints(max_length=32), AfterValidator(normalise_phone)]
Identifier = Annotated[str, StringConstraints(max_length=64), AfterValidator(_identifier)]
Year = Annotated[int, Field(ge=1900, le=2100)]
Count = Annotated[int, Field(ge=0, le=100_000)]


class BusinessIn(Input):
    name: Text200 | None = None
    registration_number: Identifier | None = None
    sector: Sector | None = None
    governorate: GovernorateCode | None = None
    district: Text100 | None = None
    address: Text300 | None = None
    founded_year: Year | None = None
    employees_female: Count | None = None
    employees_male: Count | None = None


class OwnerIn(Input):
    full_name: Text200 | None = None
    national_id: Identifier | None = None
    phone: Phone | None = None
    sex: Sex | None = None
    birth_year: Year | None = None
    displacement_status: DisplacementStatus | None = None


class BudgetLineIn(Input):
    item: Text200
    quantity: Annotated[int, Field(ge=1, le=1_000_000)]
    unit_cost: Annotated[Money, Field(gt=0)]


class PlanIn(Input):
    summary: Text5000 | None = None
    jobs_planned_female: Count | None = None
    jobs_planned_male: Count | None = None
    requested_amount: Annotated[Money, Field(gt=0)] | None = None
    co_contribution: Annotated[Money, Field(ge=0)] | None = None
    budget_lines: Annotated[list[BudgetLineIn], Field(max_length=50)] | None = None


class ConsentIn(Input):
    data_processing: StrictBool | None = None
    text_version: Text50 | None = None


class ApplicationPatch(Input):
    """Any part may be missing; what is given is merged into the draft."""

    business: BusinessIn | None = None
    owner: OwnerIn | None = None
    plan: PlanIn | None = None
    consent: ConsentIn | None = None


class ApplicationCreate(ApplicationPatch):
    call_id: uuid.UUID


class OwnerOut(BaseModel):
    full_name: str | None = None
    national_id_last4: str | None = None
    phone: str | None = None
    sex: Sex | None = None
    birth_year: int | None = None
    displacement_status: DisplacementStatus | None = None


class PossibleDuplicate(BaseModel):
    """Another application whose owner name is similar (staff only)."""

    application_id: uuid.UUID
    reference: str
    score: float
    awarded: bool = False


class ResolutionOut(BaseModel):
    outcome: Literal["clear", "ineligible"]
    reason: str
    proposed_by: uuid.UUID
    proposed_at: Utc
    approved_by: uuid.UUID | None = None
    approved_at: Utc | None = None


class ScreeningOut(BaseModel):
    """`state`: eligible, ineligible, flagged (staff: a flag waits for resolution) or
    being_verified (what the owner sees meanwhile; `eligible` is then null). `flags`,
    `possible_duplicates` and `resolution` concern other people's data: staff only."""

    state: Literal["eligible", "ineligible", "flagged", "being_verified"] | None = None
    eligible: bool | None
    reasons: list[str]
    flags: list[str] = []
    possible_duplicates: list[PossibleDuplicate] = []
    resolution: ResolutionOut | None = None
    screened_at: Utc | None = None


class ResolutionIn(Input):
    outcome: Literal["clear", "ineligible"]
    reason: Annotated[str, Field(min_length=3, max_length=2000), NoControl]


class ScreeningFlagOut(BaseModel):
    application_id: uuid.UUID
    reference: str
    status: str
    screening: ScreeningOut


class DocumentOut(BaseModel):
    id: uuid.UUID
    kind: str
    filename: str
    size: int
    content_type: str
    created_at: Utc


class ApplicationOut(BaseModel):
    id: uuid.UUID
    reference: str
    call_id: uuid.UUID
    applicant_id: uuid.UUID
    status: str
    currency: str
    business: dict[str, Any]
    owner: OwnerOut
    plan: dict[str, Any]
    consent: dict[str, Any]
    screening: ScreeningOut | None
    outcome: dict[str, Any]
    documents: list[DocumentOut]
    created_at: Utc
    updated_at: Utc
    submitted_at: Utc | None


class SubmitOut(BaseModel):
    id: uuid.UUID
    status: Literal["submitted"]
    submitted_at: Utc
    reference: str


class StatusOut(BaseModel):
    id: uuid.UUID
    status: str


class CallOut(CallSpec):
    id: uuid.UUID
    status: str
    created_at: Utc
    opened_at: Utc | None = None
    closed_at: Utc | None = None


class CallStatusOut(BaseModel):
    id: uuid.UUID
    status: str
