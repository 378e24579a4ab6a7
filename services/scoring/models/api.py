"""Request and response models of reviews, ranking, selection and decisions."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints

from shared.events.calls import Key
from shared.fields import Input, Utc
from shared.money import Money

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=1000)]
Comment = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)]


Moment = Utc  # SQLite hands back naive datetimes; every stored time is UTC


class ReviewDraftIn(Input):
    """Scores by criterion key (whole numbers from 0 to the criterion's max_score) and a comment."""

    scores: Annotated[dict[Key, int], Field(max_length=50)] = Field(default_factory=dict)
    comment: Comment | None = None


class RecuseIn(Input):
    reason: Reason


class ReviewItem(BaseModel):
    """A review in an officer's queue. `application` is anonymised: sector, place, size, plan,
    amounts and the owner's sex, age and displacement status; never a name, national id,
    phone or business name."""

    id: uuid.UUID
    application_id: uuid.UUID
    reference: str
    call_id: uuid.UUID
    status: str
    assigned_at: Moment
    submitted_at: Moment | None = None
    application: dict[str, Any]


class CriterionOut(BaseModel):
    key: str
    label: dict[str, str]
    weight: Money
    max_score: int


class ReviewOut(ReviewItem):
    criteria: list[CriterionOut]
    scores: dict[str, int]
    comment: str | None = None
    score: Money | None = None  # this reviewer's weighted score (0–100, 2 places) once submitted
    recusal_reason: str | None = None


class ReviewStatusOut(BaseModel):
    id: uuid.UUID
    status: str


class RecusalOut(BaseModel):
    review_id: uuid.UUID
    application_id: uuid.UUID
    reference: str
    call_id: uuid.UUID
    officer_id: uuid.UUID
    reason: str
    declared_at: Moment


class RankingItem(BaseModel):
    rank: int
    application_id: uuid.UUID
    reference: str
    score: Money  # 0–100, 2 places (ROUND_HALF_EVEN); ranked on 8 places
    reviewers: int
    requested_amount: Money
    currency: str
    jobs_planned: int
    submitted_at: Moment
    status: str
    diverged: bool
    recusals: int
    decided_amount: Money | None = None


class ProposedOut(BaseModel):
    application_id: uuid.UUID
    reference: str
    rank: int
    amount: Money
    women_owned: bool


class QuotaOut(BaseModel):
    required: Money  # the minimum share
    achieved: Money  # the share reached, 4 places
    met: bool
    members: int  # grants to the group (awards made included)
    grants: int  # grants in all (awards made included)


class SelectionOut(BaseModel):
    call_id: uuid.UUID
    currency: str
    budget: Money
    awarded: Money  # awards made already
    available: Money  # budget - awarded
    proposed: list[ProposedOut]
    total: Money
    quotas: dict[str, QuotaOut]


class DecisionIn(Input):
    application_id: uuid.UUID
    decision: Literal["award", "reject", "waitlist"]
    amount: Annotated[Money, Field(gt=0)] | None = None
    reason: Reason | None = None


class DecisionsIn(Input):
    decisions: Annotated[list[DecisionIn], Field(min_length=1, max_length=200)]


class AcceptedOut(BaseModel):
    application_id: uuid.UUID
    decision: Literal["awarded", "rejected", "waitlisted"]
    amount: Money | None
    currency: str
    decided_at: Moment


class RefusedOut(BaseModel):
    application_id: uuid.UUID
    reason: str


class PendingOut(BaseModel):
    """A decision proposed and not applied: `approvals` distinct members of the `quorum` needed
    have submitted this same decision (same application, decision and amount)."""

    proposal_id: uuid.UUID
    application_id: uuid.UUID
    decision: Literal["awarded", "rejected", "waitlisted"]
    amount: Money | None
    currency: str
    approvals: int
    quorum: int
    proposed_at: Moment


class ProposalOut(PendingOut):
    """One member's open proposal, as the committee sees them before the quorum is reached."""

    reference: str
    reason: str | None
    proposed_by: uuid.UUID
    status: Literal["open", "applied", "superseded", "withdrawn"]
    competing: bool  # another member proposed a different decision for the same application


class CommitteeRecusalIn(Input):
    application_id: uuid.UUID
    reason: Reason


class CommitteeRecusalOut(BaseModel):
    application_id: uuid.UUID
    call_id: uuid.UUID
    member_id: uuid.UUID
    reason: str
    declared_at: Moment
    withdrawn_proposals: int  # the member's open proposals on it, withdrawn by the recusal


class DecisionsOut(BaseModel):
    """`accepted`: applied (decided, published, budget used). `proposed`: recorded as this
    member's proposal, waiting for the call's committee quorum (not applied). `refused`: neither."""

    accepted: list[AcceptedOut]
    refused: list[RefusedOut]
    proposed: list[PendingOut] = []
