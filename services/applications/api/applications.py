"""Thin routes of applications: request -> command -> handler -> response."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from services.applications.api.deps import Applicant, DatabaseDep, IntakeDep, PageDep, SignedIn
from services.applications.handlers import applications as handlers
from services.applications.models.api import (
    ApplicationCreate,
    ApplicationOut,
    ApplicationPatch,
    StatusOut,
    SubmitOut,
)
from shared.http import Page

router = APIRouter(prefix="/api/v1/applications", tags=["applications"])
StatusFilter = Literal[
    "draft",
    "submitted",
    "eligible",
    "ineligible",
    "under_review",
    "scored",
    "awarded",
    "rejected",
    "waitlisted",
    "withdrawn",
]


@router.post("", status_code=201, response_model=ApplicationOut)
def create_application(
    body: ApplicationCreate, db: DatabaseDep, applicant: Applicant, config: IntakeDep
) -> ApplicationOut:
    return handlers.create_draft(db, applicant, body, config)


@router.patch("/{application_id}", response_model=ApplicationOut)
def update_application(
    application_id: uuid.UUID, body: ApplicationPatch, db: DatabaseDep, applicant: Applicant, config: IntakeDep
) -> ApplicationOut:
    return handlers.update_draft(db, applicant, application_id, body, config)


@router.post("/{application_id}/submit", response_model=SubmitOut)
def submit_application(application_id: uuid.UUID, db: DatabaseDep, applicant: Applicant) -> SubmitOut:
    return handlers.submit(db, applicant, application_id)


@router.post("/{application_id}/withdraw", response_model=StatusOut)
def withdraw_application(application_id: uuid.UUID, db: DatabaseDep, applicant: Applicant) -> StatusOut:
    return handlers.withdraw(db, applicant, application_id)


@router.get("/{application_id}", response_model=ApplicationOut, summary="Get Application")
def get_application(
    application_id: uuid.UUID,
    db: DatabaseDep,
    principal: SignedIn,
    view: Annotated[
        Literal["as_role", "blind"],
        Query(description="`blind`: without any identity field or identifying document, whoever asks"),
    ] = "as_role",
) -> ApplicationOut:
    """The owner, `intake` and `admin` see the identity; `monitor` a grantee's contact details;
    `officer`, `committee` and `finance` a blind view (docs/architecture.md, "Who sees what")."""
    return handlers.get(db, principal, application_id, blind=view == "blind")


@router.get("", response_model=Page[ApplicationOut])
def list_applications(
    db: DatabaseDep,
    principal: SignedIn,
    page: PageDep,
    call_id: uuid.UUID | None = None,
    status: StatusFilter | None = None,
) -> Page[ApplicationOut]:
    return handlers.list_applications(db, principal, page, call_id, status)
