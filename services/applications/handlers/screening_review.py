"""Use cases of screening flags: the call's flagged applications, a resolution proposed by an
intake officer, and its approval by a second person (then the `screened` event goes out)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from services.applications.domain import intake, resolution
from services.applications.handlers.access import visible_application
from services.applications.handlers.events.lifecycle import announce_screened
from services.applications.handlers.outputs import application_out, screening_out
from services.applications.models import Application, Call
from services.applications.models.api import ApplicationOut, ResolutionIn, ScreeningFlagOut
from shared.auth import Principal
from shared.db import Database
from shared.errors import Conflict, NotFound
from shared.uow import Actor, UnitOfWork


def flags_of_call(db: Database, call_id: uuid.UUID, held_only: bool) -> list[ScreeningFlagOut]:
    """Applications of the call with a flag or a possible duplicate, oldest submission first."""
    with Session(db.engine) as session:
        if session.get(Call, call_id) is None:
            raise NotFound("no such call")
        rows = session.exec(
            select(Application)
            .where(Application.call_id == call_id, col(Application.screening).is_not(None))
            .order_by(col(Application.submitted_at), col(Application.id))
        ).all()
        out = []
        for application in rows:
            record = application.screening or {}
            held = record.get("state") == "flagged"
            if held or (not held_only and (record.get("flags") or record.get("possible_duplicates"))):
                screening = screening_out(application, staff=True)
                assert screening is not None
                out.append(
                    ScreeningFlagOut(
                        application_id=application.id,
                        reference=application.reference,
                        status=application.status,
                        screening=screening,
                    )
                )
        return out


def propose(db: Database, principal: Principal, application_id: uuid.UUID, body: ResolutionIn) -> ApplicationOut:
    with UnitOfWork(db, Actor.of(principal)) as uow:
        application = visible_application(uow.session, principal, application_id, lock=True)
        application.screening = resolution.propose(
            application.screening, body.outcome, body.reason, str(principal.id), datetime.now(UTC)
        )
        uow.session.add(application)
        uow.audit(
            "application.screening_resolution_proposed",
            "application",
            application.id,
            after={"status": application.status, "outcome": body.outcome, "reason": body.reason},
        )
        uow.commit()
        return application_out(uow.session, application, staff=True)


def approve(db: Database, principal: Principal, application_id: uuid.UUID) -> ApplicationOut:
    with UnitOfWork(db, Actor.of(principal)) as uow:
        application = visible_application(uow.session, principal, application_id, lock=True)
        now = datetime.now(UTC)
        record = resolution.approve(application.screening, str(principal.id), now)
        if application.status != intake.Status.submitted.value:
            raise Conflict(f"the application is {application.status}: nothing to resolve", code="not_flagged")
        application.status = (intake.Status.eligible if record["eligible"] else intake.Status.ineligible).value
        application.screening, application.updated_at = record, now
        uow.session.add(application)
        uow.audit(
            "application.screening_resolution_approved",
            "application",
            application.id,
            before={"status": "submitted"},
            after={"status": application.status, "outcome": record["resolution"]["outcome"]},
        )
        announce_screened(uow, application, record["eligible"], record["reasons"], record["flags"], now)
        uow.commit()
        return application_out(uow.session, application, staff=True)
