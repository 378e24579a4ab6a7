"""The committee's side of the quorum: proposals waiting for it, and members' recusals."""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Literal

from sqlalchemy import tuple_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from services.scoring.domain import quorum
from services.scoring.handlers.assignment import locked_application
from services.scoring.handlers.decisions import ballot_of, open_ballots
from services.scoring.handlers.reviews import _parse_position
from services.scoring.models import Application, Call, CommitteeRecusal, DecisionProposal
from services.scoring.models.api import CommitteeRecusalIn, CommitteeRecusalOut, ProposalOut
from shared.clock import now
from shared.db import Database
from shared.errors import Conflict, NotFound
from shared.http import Page, PageParams, encode_cursor
from shared.money import quantize
from shared.uow import Actor, UnitOfWork

ProposalStatus = Literal["open", "applied", "superseded", "withdrawn"]


def list_proposals(
    db: Database, call_id: uuid.UUID, page: PageParams, status: ProposalStatus, application_id: uuid.UUID | None
) -> Page[ProposalOut]:
    """Members' proposals of a call, oldest first; for an open one, how many members agree."""
    query = (
        select(DecisionProposal, Application.reference)
        .join(Application, col(Application.id) == col(DecisionProposal.application_id))
        .where(DecisionProposal.call_id == call_id, DecisionProposal.status == status)
        .order_by(col(DecisionProposal.proposed_at), col(DecisionProposal.id))
        .limit(page.limit + 1)
    )
    if application_id is not None:
        query = query.where(DecisionProposal.application_id == application_id)
    if page.after is not None:
        at, proposal_id = _parse_position(page.after)
        query = query.where(
            tuple_(col(DecisionProposal.proposed_at), col(DecisionProposal.id)) > tuple_(at, proposal_id)
        )
    with Session(db.engine) as session:
        call = session.get(Call, call_id)
        if call is None:
            raise NotFound("no such call")
        rows = list(session.exec(query).all())
        more = len(rows) > page.limit
        rows = rows[: page.limit]
        applications = {p.application_id for p, _ in rows}
        others: dict[uuid.UUID, list[quorum.Ballot]] = defaultdict(list)
        recused: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
        if applications:
            for p in session.exec(
                select(DecisionProposal).where(
                    col(DecisionProposal.application_id).in_(applications), DecisionProposal.status == "open"
                )
            ).all():
                others[p.application_id].append(ballot_of(p))
            for r in session.exec(
                select(CommitteeRecusal).where(col(CommitteeRecusal.application_id).in_(applications))
            ).all():
                recused[r.application_id].add(r.member_id)
    items = []
    for p, reference in rows:
        ballots, mine = others[p.application_id], ballot_of(p)
        counted = quorum.approvals(ballots, mine, recused[p.application_id]) if p.status == "open" else 0
        items.append(
            ProposalOut(
                proposal_id=p.id,
                application_id=p.application_id,
                reference=reference,
                decision=p.decision,
                amount=None if p.amount is None else quantize(p.amount, call.currency_exponent),
                currency=call.currency,
                reason=p.reason,
                proposed_by=p.proposed_by,
                proposed_at=p.proposed_at,
                status=p.status,
                approvals=counted,
                quorum=call.committee_quorum,
                competing=p.status == "open" and quorum.competing(ballots, mine),
            )
        )
    cursor = encode_cursor(f"{rows[-1][0].proposed_at.isoformat()}|{rows[-1][0].id}") if more and rows else None
    return Page[ProposalOut](items=items, next_cursor=cursor)


def recuse(db: Database, actor: Actor, call_id: uuid.UUID, body: CommitteeRecusalIn) -> CommitteeRecusalOut:
    """A member declares a conflict of interest with an application of the call: their open
    proposals on it are withdrawn and their later ones refused (`recused`). 409 a second time."""
    member = uuid.UUID(actor.id)
    with UnitOfWork(db, actor) as uow:
        session = uow.session
        application = locked_application(session, body.application_id)
        if application is None or application.call_id != call_id:
            raise NotFound("no such application in this call")
        moment = now()
        withdrawn = 0
        for ballot in open_ballots(session, application.id):
            if ballot.proposed_by == member:
                ballot.status, ballot.settled_at = "withdrawn", moment
                session.add(ballot)
                withdrawn += 1
        recusal = CommitteeRecusal(
            call_id=call_id, application_id=application.id, member_id=member, reason=body.reason, declared_at=moment
        )
        session.add(recusal)
        uow.audit(  # not on the application's own trail, which its owner's timeline shows
            "committee.recused",
            "committee_recusal",
            recusal.id,
            after={
                "application_id": str(application.id),
                "member_id": str(member),
                "reason": body.reason,
                "withdrawn_proposals": withdrawn,
            },
        )
        try:
            uow.commit()
        except IntegrityError:
            raise Conflict("already recused from this application", code="already_recused") from None
    return CommitteeRecusalOut(
        application_id=application.id,
        call_id=call_id,
        member_id=member,
        reason=body.reason,
        declared_at=moment,
        withdrawn_proposals=withdrawn,
    )
