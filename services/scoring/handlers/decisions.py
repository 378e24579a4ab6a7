"""Committee decisions, item by item: each in its own transaction, so a refused item (with its
reason) leaves the others applied.

Each item is first this member's proposal (`decision_proposals`). It is applied only when the
call's `committee_quorum` of distinct members has proposed the same decision (same application,
outcome and amount); until then it is answered in `proposed` and changes nothing else (no
`application.decided`, no budget used; `decision.proposed` is published). The application's row
is locked while proposals are counted, so two members agreeing at the same moment apply it once.

An award locks the call's row (`SELECT … FOR UPDATE` on PostgreSQL; SQLite has one writer)
while it checks and moves `awarded_total`, and the CHECK constraint `awarded_total <= budget`
refuses what would slip past: the budget cannot be exceeded however many members decide at once.
The budget is checked when a proposal is made and again when the quorum applies it."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from services.scoring.domain import quorum
from services.scoring.domain.decisions import CallTerms, Decision, Refused, decide
from services.scoring.handlers.assignment import locked_application
from services.scoring.models import Application, Call, CommitteeRecusal, DecisionProposal, DecisionRecord
from services.scoring.models.api import AcceptedOut, DecisionIn, DecisionsIn, DecisionsOut, PendingOut, RefusedOut
from shared.application_status import ApplicationStatus
from shared.clock import now
from shared.db import Database
from shared.errors import NotFound
from shared.events.applications import ApplicationDecidedV1
from shared.events.scoring import DecisionProposedV1
from shared.money import quantize
from shared.uow import Actor, UnitOfWork

log = logging.getLogger("edf.scoring.decisions")


def decide_batch(db: Database, actor: Actor, call_id: uuid.UUID, body: DecisionsIn) -> DecisionsOut:
    """In the order given; 200 with what was applied, what was proposed and what was refused."""
    with Session(db.engine) as session:
        if session.get(Call, call_id) is None:
            raise NotFound("no such call")
    answer = DecisionsOut(accepted=[], refused=[], proposed=[])
    for item in body.decisions:
        try:
            outcome = _decide_one(db, actor, call_id, item)
        except Refused as refusal:
            log.info("decision refused", extra={"application_id": str(item.application_id), "reason": refusal.reason})
            answer.refused.append(RefusedOut(application_id=item.application_id, reason=refusal.reason))
            continue
        if isinstance(outcome, AcceptedOut):
            answer.accepted.append(outcome)
        else:
            answer.proposed.append(outcome)
    return answer


def open_ballots(session: Session, application_id: uuid.UUID) -> list[DecisionProposal]:
    return list(
        session.exec(
            select(DecisionProposal)
            .where(DecisionProposal.application_id == application_id, DecisionProposal.status == "open")
            .order_by(col(DecisionProposal.proposed_at), col(DecisionProposal.id))
        ).all()
    )


def ballot_of(proposal: DecisionProposal) -> quorum.Ballot:
    return quorum.Ballot(member=proposal.proposed_by, decision=proposal.decision, amount=proposal.amount)


def recused_members(session: Session, application_id: uuid.UUID) -> set[uuid.UUID]:
    query = select(CommitteeRecusal.member_id).where(CommitteeRecusal.application_id == application_id)
    return set(session.exec(query).all())


def _decide_one(db: Database, actor: Actor, call_id: uuid.UUID, item: DecisionIn) -> AcceptedOut | PendingOut:
    decision = Decision(item.decision)
    member = uuid.UUID(actor.id)
    with UnitOfWork(db, actor) as uow:
        session = uow.session
        # The call's row first (locked for an award: the budget), then the application's.
        call = session.get(Call, call_id, with_for_update=decision is Decision.award, populate_existing=True)
        assert call is not None
        application = locked_application(session, item.application_id)
        if application is None or application.call_id != call_id:
            raise Refused("unknown_application")
        recused = recused_members(session, application.id)
        if member in recused:
            raise Refused("recused")
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
        moment = now()
        ballots = open_ballots(session, application.id)
        mine, new = _propose(uow, ballots, application, decision.outcome_name, amount, item.reason, member, moment)
        count = quorum.approvals(map(ballot_of, ballots), ballot_of(mine), recused)
        if not quorum.reached(count, call.committee_quorum):
            if new:  # a repeat of one's own proposal changes nothing
                # Not on the application's own trail: its owner's timeline shows that trail.
                uow.audit(
                    "decision.proposed",
                    "decision_proposal",
                    mine.id,
                    after={
                        "application_id": str(application.id),
                        "decision": mine.decision,
                        "amount": None if amount is None else str(amount),
                        "reason": item.reason,
                        "approvals": count,
                        "quorum": call.committee_quorum,
                    },
                )
                uow.emit(
                    DecisionProposedV1(
                        proposal_id=mine.id,
                        application_id=application.id,
                        call_id=call_id,
                        decision=mine.decision,
                        amount=amount,
                        currency=call.currency,
                        approvals=count,
                        quorum=call.committee_quorum,
                        proposed_at=moment,
                    ),
                    application.id,
                )
            uow.commit()
            return PendingOut(
                proposal_id=mine.id,
                application_id=application.id,
                decision=mine.decision,
                amount=amount,
                currency=call.currency,
                approvals=count,
                quorum=call.committee_quorum,
                proposed_at=mine.proposed_at,
            )
        agreeing = [b for b in ballots if ballot_of(b).agrees_with(ballot_of(mine)) and b.proposed_by not in recused]
        for ballot in ballots:
            ballot.status, ballot.settled_at = ("applied" if ballot in agreeing else "superseded"), moment
            session.add(ballot)
        approvers = sorted(str(b.proposed_by) for b in agreeing)
        accepted = _apply(uow, call, application, decision, amount, item.reason, member, moment, approvers)
        try:
            uow.commit()
        except IntegrityError:  # the CHECK constraint: awards within the budget
            raise Refused("budget_exceeded") from None
    return accepted


def _propose(
    uow: UnitOfWork,
    ballots: list[DecisionProposal],
    application: Application,
    outcome: str,
    amount: Decimal | None,
    reason: str | None,
    member: uuid.UUID,
    moment: datetime,
) -> tuple[DecisionProposal, bool]:
    """This member's open proposal of `outcome` at `amount` (added to `ballots`): the one they
    made already if it is the same (and False), else a new one that withdraws their earlier one."""
    wanted = quorum.Ballot(member=member, decision=outcome, amount=amount)
    for ballot in [b for b in ballots if b.proposed_by == member]:
        if ballot_of(ballot).agrees_with(wanted):
            return ballot, False
        ballot.status, ballot.settled_at = "withdrawn", moment
        uow.session.add(ballot)
        ballots.remove(ballot)
    proposal = DecisionProposal(
        call_id=application.call_id,
        application_id=application.id,
        decision=outcome,
        amount=amount,
        reason=reason,
        proposed_by=member,
        proposed_at=moment,
    )
    uow.session.add(proposal)
    ballots.append(proposal)
    return proposal, True


def _apply(
    uow: UnitOfWork,
    call: Call,
    application: Application,
    decision: Decision,
    amount: Decimal | None,
    reason: str | None,
    member: uuid.UUID,
    moment: datetime,
    approvers: list[str],
) -> AcceptedOut:
    """The decision itself: the application's status, the budget ledger, the record, the event."""
    session = uow.session
    if amount is not None:
        call.awarded_total = call.awarded_total + amount
        session.add(call)
    before = application.status
    outcome = decision.outcome_name
    application.status, application.decided_amount, application.decided_at = outcome, amount, moment
    application.updated_at = moment
    session.add(application)
    session.add(
        DecisionRecord(
            application_id=application.id,
            call_id=call.id,
            decision=outcome,
            amount=amount,
            reason=reason,
            decided_by=member,
            decided_at=moment,
        )
    )
    uow.emit(
        ApplicationDecidedV1(
            application_id=application.id,
            call_id=call.id,
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
            "reason": reason,
            "approved_by": approvers,  # the members whose agreement reached the call's quorum
            "quorum": call.committee_quorum,
        },
    )
    return AcceptedOut(
        application_id=application.id, decision=outcome, amount=amount, currency=call.currency, decided_at=moment
    )
