"""Committee decisions, item by item: each in its own transaction, so a refused item (with its
reason) leaves the others applied. An award locks the call's row (`SELECT … FOR UPDATE` on
PostgreSQL; SQLite has one writer) while it checks and moves `awarded_total`, and the CHECK
constraint `awarded_total <= budget` refuses what would slip past: the budget cannot be
exceeded however many committee members decide at once."""

from __future__ import annotations

import logging
import uuid

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from services.scoring.domain.decisions import CallTerms, Decision, Refused, decide
from services.scoring.handlers.assignment import locked_application
from services.scoring.models import Call, DecisionRecord
from services.scoring.models.api import AcceptedOut, DecisionIn, DecisionsIn, DecisionsOut, RefusedOut
from shared.application_status import ApplicationStatus
from shared.clock import now
from shared.db import Database
from shared.errors import NotFound
from shared.events.applications import ApplicationDecidedV1
from shared.money import quantize
from shared.uow import Actor, UnitOfWork

log = logging.getLogger("edf.scoring.decisions")


def decide_batch(db: Database, actor: Actor, call_id: uuid.UUID, body: DecisionsIn) -> DecisionsOut:
    """In the order given; 200 with what was accepted and what was refused (and why)."""
    with Session(db.engine) as session:
        if session.get(Call, call_id) is None:
            raise NotFound("no such call")
    accepted: list[AcceptedOut] = []
    refused: list[RefusedOut] = []
    for item in body.decisions:
        try:
            accepted.append(_decide_one(db, actor, call_id, item))
        except Refused as refusal:
            log.info("decision refused", extra={"application_id": str(item.application_id), "reason": refusal.reason})
            refused.append(RefusedOut(application_id=item.application_id, reason=refusal.reason))
    return DecisionsOut(accepted=accepted, refused=refused)


def _decide_one(db: Database, actor: Actor, call_id: uuid.UUID, item: DecisionIn) -> AcceptedOut:
    decision = Decision(item.decision)
    with UnitOfWork(db, actor) as uow:
        session = uow.session
        # The call's row first (locked for an award: the budget), then the application's.
        call = session.get(Call, call_id, with_for_update=decision is Decision.award, populate_existing=True)
        assert call is not None
        application = locked_application(session, item.application_id)
        if application is None or application.call_id != call_id:
            raise Refused("unknown_application")
        terms = CallTerms(
            budget=call.budget,
            awarded_total=call.awarded_total,
            grant_min=call.grant_min,
            grant_max=call.grant_max,
            currency_exponent=call.currency_exponent,
        )
        amount = decide(
            ApplicationStatus(application.status), decision, item.amount, application.requested_amount, terms
        )
        if amount is not None:
            amount = quantize(amount, call.currency_exponent)
            call.awarded_total = call.awarded_total + amount
            session.add(call)
        moment = now()
        before = application.status
        outcome = decision.outcome_name
        application.status, application.decided_amount, application.decided_at = outcome, amount, moment
        application.updated_at = moment
        session.add(application)
        session.add(
            DecisionRecord(
                application_id=application.id,
                call_id=call_id,
                decision=outcome,
                amount=amount,
                reason=item.reason,
                decided_by=uuid.UUID(actor.id),
                decided_at=moment,
            )
        )
        uow.emit(
            ApplicationDecidedV1(
                application_id=application.id,
                call_id=call_id,
                decision=outcome,
                amount=amount,
                currency=call.currency,
                decided_at=moment,
                reference=application.reference,
            ),
            application.id,
        )
        uow.audit(
            "application.decided",
            "application",
            application.id,
            before={"status": before},
            after={
                "status": outcome,
                "decision": decision.value,
                "amount": None if amount is None else str(amount),
                "reason": item.reason,
            },
        )
        try:
            uow.commit()
        except IntegrityError:  # the CHECK constraint: awards within the budget
            raise Refused("budget_exceeded") from None
    return AcceptedOut(
        application_id=application.id, decision=outcome, amount=amount, currency=call.currency, decided_at=moment
    )
