"""Use cases of applications: drafts, submission, withdrawal, reading."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from services.applications.domain import intake, names
from services.applications.domain.identity import keyed_hash, normalise_identifier
from services.applications.handlers import privacy
from services.applications.handlers.access import owned_application, visible_application
from services.applications.handlers.outputs import application_out
from services.applications.models import Application, Call, CallCounter
from services.applications.models.api import (
    ApplicationCreate,
    ApplicationOut,
    ApplicationPatch,
    StatusOut,
    SubmitOut,
)
from services.applications.settings import IntakeConfig
from shared.auth import Principal
from shared.db import Database
from shared.errors import Conflict, Invalid, NotFound
from shared.events.applications import (
    ApplicationSubmittedV1,
    ApplicationWithdrawnV1,
    BusinessFacts,
    OwnerFacts,
    PlanFacts,
)
from shared.events.calls import CallSpec
from shared.http import Page, PageParams
from shared.paging import keyset_page
from shared.uow import Actor, UnitOfWork


def _apply_patch(application: Application, patch: ApplicationPatch, call: Call, config: IntakeConfig) -> None:
    """Merges the given parts; the national id is turned into its hash and last 4 here. Amounts
    with more decimals than the call's currency has are refused (a 422 naming each)."""
    given: dict[str, dict[str, Any]] = patch.model_dump(mode="json", exclude_unset=True, exclude={"call_id"})
    problems = intake.precision_problems(given.get("plan") or {}, CallSpec.model_validate(call.spec))
    if problems:
        raise Invalid(f"{len(problems)} invalid field(s)", problems)
    national_id = (given.get("owner") or {}).pop("national_id", None)  # a section may be given as null
    current = {s: getattr(application, s) for s in ("business", "owner", "plan", "consent")}
    merged = intake.merge(current, {k: v for k, v in given.items() if v is not None})
    for section, fields in merged.items():
        setattr(application, section, fields)
    if national_id is not None:
        application.national_id_hash = keyed_hash(config.identity_key, "national_id", national_id)
        application.national_id_last4 = national_id[-4:]
    if phone := merged.get("owner", {}).get("phone"):
        application.phone_hash = keyed_hash(config.identity_key, "phone", phone)
    if full_name := merged.get("owner", {}).get("full_name"):
        parts = names.skeleton(full_name)
        application.name_skeleton, application.name_block = " ".join(parts)[:200] or None, names.block(parts) or None
    if registration := merged.get("business", {}).get("registration_number"):
        application.registration_key = normalise_identifier(registration)
    if "consent" in given:
        application.consent = {**application.consent, "recorded_at": datetime.now(UTC).isoformat()}
    application.updated_at = datetime.now(UTC)


def create_draft(db: Database, principal: Principal, body: ApplicationCreate, config: IntakeConfig) -> ApplicationOut:
    with UnitOfWork(db, Actor.of(principal)) as uow:
        call = uow.session.get(Call, body.call_id)
        if call is None or call.status != "open":
            raise Invalid.field(["body", "call_id"], "no open call with this id")
        now = datetime.now(UTC)
        application = Application(
            reference="", call_id=call.id, applicant_id=principal.id, created_at=now, updated_at=now
        )
        _apply_patch(application, body, call, config)
        _ensure_first_in_call(uow.session, principal, call)  # after the 422s of the body
        # Numbered last: the counter's row stays locked only until the commit just below.
        application.reference = _next_reference(uow.session, call)
        uow.session.add(application)
        uow.audit("application.created", "application", application.id, after={"status": "draft"})
        try:
            uow.commit()
        except IntegrityError:  # a second draft of the same account that raced this one
            raise Conflict("this account already has an application in this call", code="application_exists") from None
        return application_out(uow.session, application, new=True)


def _ensure_first_in_call(session: Session, principal: Principal, call: Call) -> None:
    """One application per applicant account per call (the table's unique constraint holds it
    against a race; this gives the answer its code)."""
    query = select(Application.id).where(Application.call_id == call.id, Application.applicant_id == principal.id)
    if session.exec(query.limit(1)).first() is not None:
        raise Conflict("this account already has an application in this call", code="application_exists")


def update_draft(
    db: Database, principal: Principal, application_id: uuid.UUID, patch: ApplicationPatch, config: IntakeConfig
) -> ApplicationOut:
    with UnitOfWork(db, Actor.of(principal)) as uow:
        application = owned_application(uow.session, principal, application_id)
        intake.ensure_editable(intake.Status(application.status))
        call = uow.session.get(Call, application.call_id)
        assert call is not None
        _apply_patch(application, patch, call, config)
        uow.session.add(application)
        uow.audit(
            "application.updated", "application", application.id, after={"sections": sorted(patch.model_fields_set)}
        )
        uow.commit()
        return application_out(uow.session, application)


def submit(db: Database, principal: Principal, application_id: uuid.UUID) -> SubmitOut:
    with UnitOfWork(db, Actor.of(principal)) as uow:
        application = owned_application(uow.session, principal, application_id)
        intake.ensure_editable(intake.Status(application.status))
        call = uow.session.get(Call, application.call_id)
        assert call is not None
        spec = CallSpec.model_validate(call.spec)
        now = datetime.now(UTC)
        intake.ensure_call_accepts(call.status, spec, now)
        sections = {s: getattr(application, s) for s in ("business", "owner", "plan", "consent")}
        problems = intake.submission_problems(sections, application.national_id_hash is not None, spec, now)
        if problems:
            raise Invalid(f"{len(problems)} field(s) missing or wrong", problems)
        application.status, application.submitted_at, application.updated_at = "submitted", now, now
        uow.session.add(application)
        uow.emit(_submitted_event(application, spec), application.id)
        uow.audit(
            "application.submitted",
            "application",
            application.id,
            before={"status": "draft"},
            after={"status": "submitted"},
        )
        uow.commit()
        return SubmitOut(id=application.id, status="submitted", submitted_at=now, reference=application.reference)


def withdraw(db: Database, principal: Principal, application_id: uuid.UUID) -> StatusOut:
    with UnitOfWork(db, Actor.of(principal)) as uow:
        application = owned_application(uow.session, principal, application_id)
        before = intake.Status(application.status)
        intake.ensure_withdrawable(before)
        application.status, application.updated_at = "withdrawn", datetime.now(UTC)
        uow.session.add(application)
        if before is not intake.Status.draft:
            uow.emit(
                ApplicationWithdrawnV1(
                    application_id=application.id, call_id=application.call_id, withdrawn_at=application.updated_at
                ),
                application.id,
            )
        uow.audit(
            "application.withdrawn",
            "application",
            application.id,
            before={"status": before.value},
            after={"status": "withdrawn"},
        )
        uow.commit()
        return StatusOut(id=application.id, status="withdrawn")


def get(db: Database, principal: Principal, application_id: uuid.UUID, *, blind: bool = False) -> ApplicationOut:
    """The application as the caller may see it (shared/privacy.py); a staff read of identity
    is audited in the same step."""
    with UnitOfWork(db, Actor.of(principal)) as uow:
        return _read(uow, principal, visible_application(uow.session, principal, application_id), blind=blind)


def get_by_reference(db: Database, principal: Principal, reference: str) -> ApplicationOut:
    with UnitOfWork(db, Actor.of(principal)) as uow:
        found = uow.session.exec(select(Application.id).where(Application.reference == reference.upper())).first()
        if found is None:
            raise NotFound("no such application")
        return _read(uow, principal, visible_application(uow.session, principal, found))


def _read(uow: UnitOfWork, principal: Principal, application: Application, *, blind: bool = False) -> ApplicationOut:
    view = privacy.view_for(principal, application, blind=blind)
    out, fields = privacy.shown(application_out(uow.session, application, staff=principal.is_staff), view)
    if view.audited and privacy.audit_reads(uow, "GET /api/v1/applications/{id}", [(application.id, fields)]):
        uow.commit()
    return out


def list_applications(
    db: Database, principal: Principal, page: PageParams, call_id: uuid.UUID | None, status: str | None
) -> Page[ApplicationOut]:
    """Staff see every application, each as their role may (identity reads audited, one row per
    application shown with identity); applicants their own."""
    query = select(Application)
    if not principal.is_staff:
        query = query.where(Application.applicant_id == principal.id)
    if call_id is not None:
        query = query.where(Application.call_id == call_id)
    if status is not None:
        query = query.where(Application.status == status)
    reads: list[tuple[uuid.UUID, list[str]]] = []

    def one(application: Application) -> ApplicationOut:
        view = privacy.view_for(principal, application)
        out, fields = privacy.shown(application_out(uow.session, application, staff=principal.is_staff), view)
        if view.audited:
            reads.append((application.id, fields))
        return out

    with UnitOfWork(db, Actor.of(principal)) as uow:
        found = keyset_page(uow.session, query, Application.reference, page, one)
        if privacy.audit_reads(uow, "GET /api/v1/applications", reads):
            uow.commit()
        return found


def _next_reference(session: Session, call: Call) -> str:
    """Takes the call's next number in one statement (the row is locked until the commit)."""
    taken = (
        update(CallCounter)
        .where(col(CallCounter.call_id) == call.id)
        .values(next_number=col(CallCounter.next_number) + 1)
        .returning(col(CallCounter.next_number))
    )
    number = session.execute(taken).scalar_one() - 1
    return f"EDF-{call.code}-{number:06d}"


def _submitted_event(application: Application, spec: CallSpec) -> ApplicationSubmittedV1:
    """Only what reviewers and other services need: no name, national id, phone or address."""
    business, owner, plan = application.business, application.owner, application.plan
    assert application.submitted_at is not None
    return ApplicationSubmittedV1(
        application_id=application.id,
        reference=application.reference,
        call_id=application.call_id,
        submitted_at=application.submitted_at,
        applicant_id=application.applicant_id,
        currency=spec.currency,
        business=BusinessFacts(**{k: business[k] for k in BusinessFacts.model_fields if k in business}),
        owner=OwnerFacts(**{k: owner[k] for k in OwnerFacts.model_fields}),
        plan=PlanFacts(**{k: plan[k] for k in PlanFacts.model_fields}),
    )
