"""Thin routes of a call's results: ranking, the selection proposal, committee decisions."""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter

from services.scoring.api.deps import Committee, CommitteeMfa, DatabaseDep, PageDep, Reader
from services.scoring.handlers import committee as committee_handlers
from services.scoring.handlers import decisions, results
from services.scoring.models.api import (
    CommitteeRecusalIn,
    CommitteeRecusalOut,
    DecisionsIn,
    DecisionsOut,
    ProposalOut,
    RankingItem,
    SelectionOut,
)
from shared.http import Page
from shared.uow import Actor

router = APIRouter(prefix="/api/v1/calls", tags=["selection"])


@router.get("/{call_id}/ranking", response_model=Page[RankingItem])
def ranking(call_id: uuid.UUID, db: DatabaseDep, _: Reader, page: PageDep) -> Page[RankingItem]:
    """Scored applications best first: score, then more jobs planned per dollar, then the
    earlier submission (then the id)."""
    return results.ranking_page(db, call_id, page)


@router.get("/{call_id}/selection", response_model=SelectionOut)
def selection(call_id: uuid.UUID, db: DatabaseDep, _: Committee) -> SelectionOut:
    """The best-ranked scored or waitlisted applications, each at its requested amount capped at
    grant_max, that fit the budget left after the awards made. A quota below its minimum share
    (by number of grants, awards made included) swaps the lowest-ranked proposed application
    outside the group for the best-ranked one inside it that fits; `quotas` says whether each
    quota is met. Computed on each request; nothing is stored."""
    return results.selection_proposal(db, call_id)


@router.post("/{call_id}/decisions", response_model=DecisionsOut)
def decide(call_id: uuid.UUID, body: DecisionsIn, db: DatabaseDep, committee: CommitteeMfa) -> DecisionsOut:
    """Item by item, in the order given, each item is this member's proposal. Once the call's
    `committee_quorum` of distinct members has proposed the same decision (same application,
    decision and amount), it is applied, audited and published (`application.decided.v1`) and
    listed in `accepted`; before that it is listed in `proposed` (with `approvals` and `quorum`)
    and changes nothing else (`decision.proposed.v1` is published). A member counts once; a new
    decision of theirs for the same application replaces their earlier proposal; different
    members' different decisions compete. Each refused item is listed with its reason and changes
    nothing (`unknown_application`, `recused`, `not_scored`, `withdrawn`, `already_awarded`,
    `unchanged`, `amount_only_for_awards`, `amount_above_requested`, `amount_out_of_range`,
    `amount_precision`, `budget_exceeded`). The answer is 200 even when every item is refused; a
    malformed body is 422 and nothing is applied. An award without `amount` is the requested
    amount capped at grant_max; the budget is checked when proposed and again when applied, and
    awards never exceed it (locked row and a database constraint)."""
    return decisions.decide_batch(db, Actor.of(committee), call_id, body)


@router.get("/{call_id}/decisions/proposals", response_model=Page[ProposalOut])
def proposals(
    call_id: uuid.UUID,
    db: DatabaseDep,
    _: Committee,
    page: PageDep,
    status: Literal["open", "applied", "superseded", "withdrawn"] = "open",
    application_id: uuid.UUID | None = None,
) -> Page[ProposalOut]:
    """Members' proposals, oldest first (open ones by default: decisions waiting for the
    quorum), each with how many members agree on it and whether another member proposed a
    different decision for the same application (`competing`)."""
    return committee_handlers.list_proposals(db, call_id, page, status, application_id)


@router.post("/{call_id}/decisions/recusals", response_model=CommitteeRecusalOut, status_code=201)
def recuse(call_id: uuid.UUID, body: CommitteeRecusalIn, db: DatabaseDep, committee: Committee) -> CommitteeRecusalOut:
    """The member declares a conflict of interest with an application: their open proposals on
    it are withdrawn, their later decisions on it are refused (`recused`) and never count towards
    the quorum. 404 for an application not in the call; 409 (`already_recused`) a second time."""
    return committee_handlers.recuse(db, Actor.of(committee), call_id, body)
