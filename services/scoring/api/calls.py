"""Thin routes of a call's results: ranking, the selection proposal, committee decisions."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from services.scoring.api.deps import Committee, CommitteeMfa, DatabaseDep, PageDep, Reader
from services.scoring.handlers import decisions, results
from services.scoring.models.api import DecisionsIn, DecisionsOut, RankingItem, SelectionOut
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
    """Item by item, in the order given: each accepted decision is applied, audited and published
    (`application.decided.v1`) at once; each refused one is listed with its reason and changes
    nothing (`unknown_application`, `not_scored`, `withdrawn`, `already_awarded`, `unchanged`,
    `amount_only_for_awards`, `amount_above_requested`, `amount_out_of_range`, `amount_precision`,
    `budget_exceeded`). The answer is 200 even when every item is refused; a malformed body is
    422 and nothing is applied. An award without `amount` is the requested amount capped at
    grant_max; awards never exceed the call's budget (locked row and a database constraint)."""
    return decisions.decide_batch(db, Actor.of(committee), call_id, body)
