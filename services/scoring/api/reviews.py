"""Thin routes of reviews: an officer sees and scores only what is assigned to them."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Body

from services.scoring.api.deps import CommitteeOrAdmin, DatabaseDep, Officer, PageDep
from services.scoring.handlers import reviews as handlers
from services.scoring.models.api import RecusalOut, RecuseIn, ReviewDraftIn, ReviewItem, ReviewOut, ReviewStatusOut
from shared.http import Page

router = APIRouter(prefix="/api/v1/reviews", tags=["reviews"])


@router.get("", response_model=Page[ReviewItem])
def list_reviews(
    db: DatabaseDep, officer: Officer, page: PageDep, status: Literal["pending", "submitted", "recused"] | None = None
) -> Page[ReviewItem]:
    return handlers.list_reviews(db, officer, page, status)


@router.get("/recusals", response_model=Page[RecusalOut])
def list_recusals(
    db: DatabaseDep,
    _: CommitteeOrAdmin,
    page: PageDep,
    call_id: uuid.UUID | None = None,
    application_id: uuid.UUID | None = None,
) -> Page[RecusalOut]:
    """Conflicts of interest declared by officers, with their reasons (committee, admin)."""
    return handlers.list_recusals(db, page, call_id, application_id)


@router.get("/{review_id}", response_model=ReviewOut)
def get_review(review_id: uuid.UUID, db: DatabaseDep, officer: Officer) -> ReviewOut:
    return handlers.get_review(db, officer, review_id)


@router.put("/{review_id}", response_model=ReviewOut)
def save_review(review_id: uuid.UUID, body: ReviewDraftIn, db: DatabaseDep, officer: Officer) -> ReviewOut:
    return handlers.save_draft(db, officer, review_id, body)


@router.post("/{review_id}/submit", response_model=ReviewStatusOut)
def submit_review(
    review_id: uuid.UUID, db: DatabaseDep, officer: Officer, body: Annotated[ReviewDraftIn | None, Body()] = None
) -> ReviewStatusOut:
    """Submits the draft (merged with `scores`/`comment` when given); final once accepted."""
    return handlers.submit_review(db, officer, review_id, body)


@router.post("/{review_id}/recuse", response_model=ReviewStatusOut)
def recuse(review_id: uuid.UUID, body: RecuseIn, db: DatabaseDep, officer: Officer) -> ReviewStatusOut:
    return handlers.recuse(db, officer, review_id, body)
