"""Thin routes of applications: request -> command -> handler -> response."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request

from services.applications.handlers import applications as handlers
from services.applications.handlers.common import IntakeConfig
from services.applications.models.application_api import (
    ApplicationCreate,
    ApplicationOut,
    ApplicationPatch,
    StatusOut,
    SubmitOut,
)
from shared.app import Db
from shared.auth import Principal, Role, current_principal, require_roles
from shared.http import Page, PageParams, page_params

router = APIRouter(prefix="/api/v1/applications", tags=["applications"])
Applicant = Annotated[Principal, Depends(require_roles(Role.applicant))]
SignedIn = Annotated[Principal, Depends(current_principal)]
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


def intake_config(request: Request) -> IntakeConfig:
    config: IntakeConfig = request.app.state.intake
    return config


Config = Annotated[IntakeConfig, Depends(intake_config)]


@router.post("", status_code=201, response_model=ApplicationOut)
def create_application(body: ApplicationCreate, db: Db, applicant: Applicant, config: Config) -> ApplicationOut:
    return handlers.create_draft(db, applicant, body, config)


@router.patch("/{application_id}", response_model=ApplicationOut)
def update_application(
    application_id: uuid.UUID, body: ApplicationPatch, db: Db, applicant: Applicant, config: Config
) -> ApplicationOut:
    return handlers.update_draft(db, applicant, application_id, body, config)


@router.post("/{application_id}/submit", response_model=SubmitOut)
def submit_application(application_id: uuid.UUID, db: Db, applicant: Applicant) -> SubmitOut:
    return handlers.submit(db, applicant, application_id)


@router.post("/{application_id}/withdraw", response_model=StatusOut)
def withdraw_application(application_id: uuid.UUID, db: Db, applicant: Applicant) -> StatusOut:
    return handlers.withdraw(db, applicant, application_id)


@router.get("/{application_id}", response_model=ApplicationOut)
def get_application(application_id: uuid.UUID, db: Db, principal: SignedIn) -> ApplicationOut:
    return handlers.get(db, principal, application_id)


@router.get("", response_model=Page[ApplicationOut])
def list_applications(
    db: Db,
    principal: SignedIn,
    page: Annotated[PageParams, Depends(page_params)],
    call_id: uuid.UUID | None = None,
    status: StatusFilter | None = None,
) -> Page[ApplicationOut]:
    return handlers.list_applications(db, principal, page, call_id, status)
