"""Application events: what other services learn of an application. No names, national
ids or phones: reviewers are blind by construction and events are not a place for PII."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from shared.events.calls import GovernorateCode, Sector
from shared.events.envelope import EventData
from shared.money import Money

Sex = Literal["female", "male"]
DisplacementStatus = Literal["idp", "returnee", "host"]
Count = Annotated[int, Field(ge=0, le=100_000)]


class BusinessFacts(EventData):
    sector: Sector
    governorate: GovernorateCode
    district: Annotated[str, StringConstraints(max_length=100)]
    founded_year: int
    employees_female: Count
    employees_male: Count


class OwnerFacts(EventData):
    sex: Sex
    birth_year: int
    displacement_status: DisplacementStatus


class BudgetLineFacts(EventData):
    item: Annotated[str, StringConstraints(max_length=200)]
    quantity: int
    unit_cost: Money


class PlanFacts(EventData):
    summary: Annotated[str, StringConstraints(max_length=5000)]
    jobs_planned_female: Count
    jobs_planned_male: Count
    requested_amount: Money
    co_contribution: Money
    budget_lines: list[BudgetLineFacts]


class ApplicationSubmittedV1(EventData, subject="edf.applications.application.submitted.v1"):
    """An applicant submitted an application: the facts that screening, scoring, disbursement
    and monitoring need, without names, national ids or phones."""

    application_id: uuid.UUID
    reference: str
    call_id: uuid.UUID
    submitted_at: datetime
    currency: str
    business: BusinessFacts
    owner: OwnerFacts
    plan: PlanFacts
    # The applicant's account id (pseudonymous): who may later read the grant as its grantee.
    applicant_id: uuid.UUID | None = None


class ApplicationScreenedV1(EventData, subject="edf.applications.application.screened.v1"):
    """The application was screened against its call's eligibility rules: `reasons` say why it
    is not eligible, `flags` what reviewers should know (e.g. `prior_beneficiary`)."""

    application_id: uuid.UUID
    call_id: uuid.UUID
    eligible: bool
    reasons: list[str]
    flags: list[str] = Field(default_factory=list)
    screened_at: datetime | None = None


class ApplicationWithdrawnV1(EventData, subject="edf.applications.application.withdrawn.v1"):
    """The applicant withdrew the application after submitting it."""

    application_id: uuid.UUID
    call_id: uuid.UUID
    withdrawn_at: datetime | None = None


class ApplicationScoredV1(EventData, subject="edf.scoring.application.scored.v1"):
    """Every review the application needs is in: its score, the mean of each criterion, how many
    reviewers scored it and whether their scores diverged."""

    application_id: uuid.UUID
    call_id: uuid.UUID
    score: Money
    criteria: dict[str, Money]
    reviewers: int
    diverged: bool


class ApplicationDecidedV1(EventData, subject="edf.scoring.application.decided.v1"):
    """The committee decided the application: awarded (with the amount), rejected or waitlisted."""

    application_id: uuid.UUID
    call_id: uuid.UUID
    decision: Literal["awarded", "rejected", "waitlisted"]
    amount: Money | None = None
    currency: str
    decided_at: datetime
    reference: str | None = None  # the application's human reference (optional addition)
