"""Request and response models of the monitoring API."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from shared.events.calls import Key
from shared.money import Money

Utc = Annotated[datetime, AfterValidator(lambda d: d if d.tzinfo is not None else d.replace(tzinfo=UTC))]
Findings = Annotated[str, StringConstraints(strip_whitespace=True, max_length=10_000)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Kind = Literal["verification", "follow_up"]
Sex = Literal["female", "male"]
Displacement = Literal["idp", "returnee", "host"]
AgeGroup = Literal["15-24", "25-34", "35-44", "45-64", "65+"]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


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
    still_employed: bool = True


class FlagIn(Input):
    reason: Reason
    hold_payments: bool


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
    reason: str
    hold_payments: bool
    raised_at: Utc
    resolved_at: Utc | None
    status: Literal["open", "resolved"]


class VisitOut(BaseModel):
    id: uuid.UUID
    grant_id: uuid.UUID
    visited_on: date
    kind: str
    findings: str
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


class MonitoringOut(BaseModel):
    grant_id: uuid.UUID
    status: str
    schedule: list[ScheduleOut]
    visits: list[VisitOut]
    milestones: list[MilestoneOut]
    jobs: JobCounts
    flags: list[FlagOut]


class Breakdown(BaseModel):
    total: int
    by_sex: dict[str, int]
    by_displacement_status: dict[str, int]
    by_governorate: dict[str, int]


class IndicatorsOut(BaseModel):
    call_id: uuid.UUID
    currency: str
    grants: dict[str, int]
    awarded: Money
    disbursed: Money
    jobs_planned: Breakdown
    jobs_verified: Breakdown
    jobs_retained_6m: Breakdown
    jobs_retained_12m: Breakdown
    cost_per_job: Money | None
