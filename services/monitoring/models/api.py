"""Request and response models of the monitoring API."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StrictBool, StringConstraints

from shared.events.calls import Key
from shared.fields import Input, Utc
from shared.money import Money

Findings = Annotated[str, StringConstraints(strip_whitespace=True, max_length=10_000)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Kind = Literal["verification", "follow_up"]
Sex = Literal["female", "male"]
Displacement = Literal["idp", "returnee", "host"]
AgeGroup = Literal["15-24", "25-34", "35-44", "45-64", "65+"]


class LocationIn(Input):
    lat: Annotated[Decimal, Field(ge=Decimal("29.0"), le=Decimal("37.4"), allow_inf_nan=False)]
    lon: Annotated[Decimal, Field(ge=Decimal("38.7"), le=Decimal("48.8"), allow_inf_nan=False)]


class JobIn(Input):
    """A job seen at the visit; `job_id` names a job an earlier visit of this grant recorded."""

    job_id: uuid.UUID | None = None
    sex: Sex
    age_group: AgeGroup
    displacement_status: Displacement
    start_date: date
    still_employed: StrictBool = True


class FlagIn(Input):
    reason: Reason
    hold_payments: StrictBool


class VisitIn(Input):
    visited_on: date
    kind: Kind
    findings: Findings = ""
    location: LocationIn | None = None
    milestones_verified: list[Key] = Field(default_factory=list, max_length=20)
    jobs: list[JobIn] = Field(default_factory=list, max_length=500)
    flag: FlagIn | None = None


class VerifyIn(Input):
    evidence: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None


class LocationOut(BaseModel):
    lat: Money
    lon: Money


class JobOut(BaseModel):
    id: uuid.UUID
    sex: str
    age_group: str
    displacement_status: str
    start_date: date
    still_employed: bool


class FlagOut(BaseModel):
    id: uuid.UUID
    grant_id: uuid.UUID
    reason: str | None  # None in the grantee's view: the monitors' reason is internal
    hold_payments: bool
    raised_at: Utc
    resolved_at: Utc | None
    status: Literal["open", "resolved"]


class VisitOut(BaseModel):
    id: uuid.UUID
    grant_id: uuid.UUID
    visited_on: date
    kind: str
    findings: str | None  # None in the grantee's view: the monitors' notes are internal
    location: LocationOut | None
    recorded_at: Utc
    milestones_verified: list[str] = []
    jobs: list[JobOut] = []
    flag: FlagOut | None = None


class MilestoneOut(BaseModel):
    key: str
    verified_at: Utc | None


class ScheduleOut(BaseModel):
    due_on: date
    kind: str
    status: Literal["scheduled", "overdue", "done"]
    milestone: str | None = None


class JobCounts(BaseModel):
    planned: int
    verified: int
    retained: int  # still employed at the latest follow-up visit that saw them
    retained_6m: int
    retained_12m: int


class HoldOut(BaseModel):
    """What is held, as the grantee may be told: whether payments are on hold and what to do."""

    payments_on_hold: bool
    since: Utc | None = None  # the oldest open flag that holds payments
    action: Literal["contact_your_grant_officer"] | None = None


class MonitoringOut(BaseModel):
    """Staff see everything. The grantee sees their schedule, visits (date, kind, jobs and
    milestones seen), milestones, jobs and flags (open or resolved, holding payments or not) with
    `hold`, but never the monitors' findings, visit locations or flag reasons (`null`)."""

    grant_id: uuid.UUID
    status: str
    schedule: list[ScheduleOut]
    visits: list[VisitOut]
    milestones: list[MilestoneOut]
    jobs: JobCounts
    flags: list[FlagOut]
    hold: HoldOut


class Breakdown(BaseModel):
    total: int
    by_sex: dict[str, int]
    by_displacement_status: dict[str, int]
    by_governorate: dict[str, int]


class ApplicationCounts(Breakdown):
    """Applications of a call by status, and (all statuses) by the owner's sex and displacement
    status and the business's governorate."""

    by_status: dict[str, int]


class MoneyBreakdown(BaseModel):
    total: Money
    by_sex: dict[str, Money]
    by_displacement_status: dict[str, Money]
    by_governorate: dict[str, Money]


class IndicatorsOut(BaseModel):
    call_id: uuid.UUID
    currency: str
    applications: ApplicationCounts
    grants: dict[str, int]  # by status
    grant_breakdown: Breakdown  # grants by the owner's sex, displacement status, governorate
    awarded: Money
    awarded_breakdown: MoneyBreakdown
    disbursed: Money
    disbursed_breakdown: MoneyBreakdown
    jobs_planned: Breakdown
    jobs_verified: Breakdown
    jobs_retained_6m: Breakdown
    jobs_retained_12m: Breakdown
    cost_per_job: Money | None


class MonthDisbursed(BaseModel):
    month: str  # YYYY-MM (UTC)
    amount: Money  # paid in that month
    cumulative: Money  # paid up to the end of that month
    tranches: int


class VisitCounts(BaseModel):
    due: int  # scheduled, due today or later
    overdue: int  # not done and due before today
    done: int


class DashboardVisits(VisitCounts):
    by_kind: dict[str, VisitCounts]
    recorded: int  # visits recorded for the call's grants


class DashboardOut(BaseModel):
    """What the staff dashboard charts need beyond the indicators."""

    call_id: uuid.UUID
    currency: str
    as_of: date
    disbursed_by_month: list[MonthDisbursed]  # every month from the first payment to the last
    jobs_verified: dict[str, dict[str, int]]  # displacement status -> sex -> jobs in the ledger
    visits: DashboardVisits
