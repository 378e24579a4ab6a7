"""Event handlers: screening after submit, and the status following scoring's outcomes."""

from __future__ import annotations

from datetime import UTC, datetime

from services.applications.domain import intake, screening
from services.applications.handlers import matching
from services.applications.models import Application, Call
from shared.events.applications import (
    ApplicationDecidedV1,
    ApplicationScoredV1,
    ApplicationScreenedV1,
    ApplicationSubmittedV1,
)
from shared.events.calls import CallSpec
from shared.events.envelope import IncomingCloudEvent
from shared.events.scoring import ApplicationAssignedV1
from shared.inbox import UnprocessableEvent
from shared.uow import UnitOfWork


def screen_submitted(uow: UnitOfWork, _: IncomingCloudEvent, data: ApplicationSubmittedV1) -> None:
    """Eligible or ineligible by the call's rules; a holding flag (another application shares an
    identifier, an excluded earlier award) keeps it `submitted` and unannounced (no `screened`
    event, so no reviewer) until an intake officer's resolution is approved."""
    application = uow.session.get(Application, data.application_id, with_for_update=True)
    if application is None:
        raise UnprocessableEvent("submitted application not found")
    if application.status != intake.Status.submitted.value or application.screening is not None:
        return  # withdrawn meanwhile, or screened (or flagged) already
    call = uow.session.get(Call, application.call_id)
    assert call is not None
    sections = {s: getattr(application, s) for s in ("business", "owner", "plan", "consent")}
    assert application.submitted_at is not None
    found, similar = matching.matches(uow.session, application)
    result = screening.screen(sections, CallSpec.model_validate(call.spec), found, application.submitted_at.year)
    now = datetime.now(UTC)
    application.screening = {
        "state": result.outcome,
        "eligible": result.eligible,
        "reasons": result.reasons,
        "flags": result.flags,
        "holding": result.holding,
        "possible_duplicates": similar,
        "screened_at": now.isoformat(),
    }
    application.updated_at = now
    uow.session.add(application)
    if result.held:
        uow.audit(
            "application.screening_flagged",
            "application",
            application.id,
            before={"status": "submitted"},
            after={"status": "submitted", "flags": result.flags},
        )
        return
    application.status = (intake.Status.eligible if result.eligible else intake.Status.ineligible).value
    announce_screened(uow, application, result.eligible, result.reasons, result.flags, now)


def announce_screened(
    uow: UnitOfWork, application: Application, eligible: bool, reasons: list[str], flags: list[str], at: datetime
) -> None:
    """The `screened` event (scoring assigns reviewers to an eligible one) and its audit row."""
    uow.emit(
        ApplicationScreenedV1(
            application_id=application.id,
            call_id=application.call_id,
            eligible=eligible,
            reasons=reasons,
            flags=flags,
            screened_at=at,
        ),
        application.id,
    )
    uow.audit(
        "application.screened",
        "application",
        application.id,
        before={"status": "submitted"},
        after={"status": application.status, "reasons": reasons, "flags": flags},
    )


def record_assigned(uow: UnitOfWork, _: IncomingCloudEvent, data: ApplicationAssignedV1) -> None:
    """Reviewers took it: eligible -> under_review (later assignments change nothing here)."""
    application = uow.session.get(Application, data.application_id, with_for_update=True)
    if application is None:
        raise UnprocessableEvent("application not found")
    if application.status != intake.Status.eligible.value:
        return  # under review already, scored or decided since, or withdrawn
    _advance(uow, application.id, intake.Status.under_review, {"reviewers": data.reviewers})


def record_scored(uow: UnitOfWork, _: IncomingCloudEvent, data: ApplicationScoredV1) -> None:
    _advance(
        uow,
        data.application_id,
        intake.Status.scored,
        {"score": str(data.score), "diverged": data.diverged, "reviewers": data.reviewers},
    )


def record_decided(uow: UnitOfWork, _: IncomingCloudEvent, data: ApplicationDecidedV1) -> None:
    _advance(
        uow,
        data.application_id,
        intake.Status(data.decision),
        {
            "decision": data.decision,
            "amount": str(data.amount) if data.amount is not None else None,
            "decided_at": data.decided_at.isoformat(),
        },
        data.decided_at,
    )


def _advance(
    uow: UnitOfWork,
    application_id: object,
    status: intake.Status,
    outcome: dict[str, object],
    decided_at: datetime | None = None,
) -> None:
    """Only forward (`intake.moves_forward`): an event that arrives late (a retried `scored` after
    the decision) is recorded as handled and changes nothing."""
    application = uow.session.get(Application, application_id, with_for_update=True)
    if application is None:
        raise UnprocessableEvent("application not found")
    before = application.status
    recorded = application.outcome.get("decided_at")
    if not intake.moves_forward(
        intake.Status(before), datetime.fromisoformat(recorded) if recorded else None, status, decided_at
    ):
        return
    application.status = status.value
    application.outcome = {**application.outcome, **outcome}
    application.updated_at = datetime.now(UTC)
    uow.session.add(application)
    uow.audit(
        f"application.{status.value}",
        "application",
        application.id,
        before={"status": before},
        after={"status": status.value},
    )
