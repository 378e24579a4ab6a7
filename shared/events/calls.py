"""The call (a funding round) as docs/api.md gives it, and the call events (docs/events.md)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, Field, StrictBool, StringConstraints, WithJsonSchema

from shared.events.envelope import EventData
from shared.fields import NoControl
from shared.iraq import GOVERNORATES
from shared.money import Money


def _known_governorate(code: str) -> str:
    if code not in GOVERNORATES:
        raise ValueError("unknown governorate: use an ISO 3166-2:IQ code such as IQ-NI")
    return code


GovernorateCode = Annotated[
    str,
    AfterValidator(_known_governorate),
    WithJsonSchema({"type": "string", "enum": sorted(GOVERNORATES)}),
]
Key = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
# A call's title and description reach the IATI export: no control characters (XML 1.0).
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=300), NoControl]
LongText = Annotated[str, StringConstraints(max_length=10_000), NoControl]
Sector = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
Percent = Annotated[Money, Field(ge=0, le=100)]
PaymentChannel = Literal["events", "bank_file"]


class LocalizedTitle(EventData):
    en: ShortText
    ar: ShortText


class LocalizedText(EventData):
    en: LongText = ""
    ar: LongText = ""


class Eligibility(EventData):
    governorates: list[GovernorateCode] | None = Field(None, max_length=len(GOVERNORATES))
    sectors: list[Sector] | None = Field(None, max_length=100)
    min_years_operating: int | None = Field(None, ge=0, le=100)
    min_employees: int | None = Field(None, ge=0, le=100_000)
    max_employees: int | None = Field(None, ge=0, le=100_000)
    min_co_contribution_percent: Percent | None = None
    require_registration: StrictBool | None = None
    min_jobs_planned: int = Field(1, ge=0, le=100_000)
    exclude_prior_beneficiaries: StrictBool = False


class RubricCriterion(EventData):
    key: Key
    label: LocalizedTitle
    weight: Annotated[Money, Field(gt=0, le=1)]
    max_score: int = Field(ge=1, le=100)


class TrancheStep(EventData):
    percent: Annotated[Money, Field(gt=0, le=100)]
    milestone: Key


class Quotas(EventData):
    women_owned_min_share: Annotated[Money, Field(ge=0, le=1)] | None = None
    idp_min_share: Annotated[Money, Field(ge=0, le=1)] | None = None
    returnee_min_share: Annotated[Money, Field(ge=0, le=1)] | None = None


class CallSpec(EventData):
    """Every field of a call that its creator gives."""

    code: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{2,12}$")]
    title: LocalizedTitle
    description: LocalizedText = LocalizedText()
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
    currency_exponent: int | None = Field(None, ge=0, le=4)
    budget: Annotated[Money, Field(gt=0)]
    grant_min: Annotated[Money, Field(gt=0)]
    grant_max: Annotated[Money, Field(gt=0)]
    opens_at: AwareDatetime
    closes_at: AwareDatetime
    eligibility: Eligibility = Eligibility()
    rubric: list[RubricCriterion] = Field(min_length=1, max_length=50)
    reviewers_per_application: int = Field(2, ge=1, le=10)
    divergence_threshold: Annotated[Money, Field(ge=0, le=100)] = Decimal("20")
    tranche_plan: list[TrancheStep] = Field(min_length=1, max_length=20)
    quotas: Quotas = Quotas()
    monitoring_schedule_days: list[Annotated[int, Field(ge=1, le=3650)]] = Field(default_factory=list, max_length=20)
    # How its payments go out: `events` as `payment.instructed` to finance systems, `bank_file`
    # in payment batches (ISO 20022 pain.001 files); each instruction through exactly one of them.
    payment_channel: PaymentChannel = "events"
    # How many distinct committee members must submit the same decision (same application,
    # decision and amount) before it is applied; until then it is a proposal. One by default, so
    # that clients written before quorums (CONTRACT's decisions) decide as they did; a fund sets
    # 2 or more on its calls (the demo does), docs/scoring.md.
    committee_quorum: int = Field(1, ge=1, le=15)


class CallOpenedV1(CallSpec, subject="edf.applications.call.opened.v1"):
    """A call opened for applications. It carries the whole call (eligibility, rubric, tranche
    plan), so that each consuming service keeps its own copy."""

    call_id: uuid.UUID
    status: Literal["open"] = "open"
    opened_at: datetime


class CallClosedV1(EventData, subject="edf.applications.call.closed.v1"):
    """A call closed: it takes no more applications."""

    call_id: uuid.UUID
    closed_at: datetime | None = None
