"""Event handlers: an application's status as screening, withdrawal and scoring report it.

The applications and scoring streams reach monitoring in any order between them, so each event
moves the copy's status only forward (`domain.applications`); an event for an
application not copied here yet is retried until `application.submitted` has arrived."""

from __future__ import annotations

import uuid
from datetime import datetime

from services.monitoring.domain import applications as application_rules
from services.monitoring.models import Application
from shared.events.applications import (
    ApplicationDecidedV1,
    ApplicationScoredV1,
    ApplicationScreenedV1,
    ApplicationWithdrawnV1,
)
from shared.events.envelope import IncomingCloudEvent
from shared.events.scoring import ApplicationAssignedV1
from shared.inbox import NotYetApplicable
from shared.tables import locked
from shared.uow import UnitOfWork


def advance(uow: UnitOfWork, application: Application, status: str, decided_at: datetime | None = None) -> None:
    """Moves the (locked) copy to `status` if the rules let it; an audit row when it moved."""
    before = application.status
    application.status, application.decided_at = application_rules.next_application_status(
        before, application.decided_at, status, decided_at
    )
    if application.status != before:
        uow.session.add(application)
        uow.audit(
            "application.status",
            "application",
            application.id,
            before={"status": before},
            after={"status": application.status},
        )


def _move(uow: UnitOfWork, application_id: uuid.UUID, status: str, decided_at: datetime | None = None) -> None:
    application = locked(uow.session, Application, application_id)
    if application is None:
        raise NotYetApplicable(f"application {application_id} is not known here yet")
    advance(uow, application, status, decided_at)


def screened(uow: UnitOfWork, _: IncomingCloudEvent, data: ApplicationScreenedV1) -> None:
    _move(uow, data.application_id, "eligible" if data.eligible else "ineligible")


def withdrawn(uow: UnitOfWork, _: IncomingCloudEvent, data: ApplicationWithdrawnV1) -> None:
    _move(uow, data.application_id, "withdrawn")


def assigned(uow: UnitOfWork, _: IncomingCloudEvent, data: ApplicationAssignedV1) -> None:
    _move(uow, data.application_id, "under_review")


def scored(uow: UnitOfWork, _: IncomingCloudEvent, data: ApplicationScoredV1) -> None:
    _move(uow, data.application_id, "scored")


def decided(uow: UnitOfWork, _: IncomingCloudEvent, data: ApplicationDecidedV1) -> None:
    _move(uow, data.application_id, data.decision, data.decided_at)
