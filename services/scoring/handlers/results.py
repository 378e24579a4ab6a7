"""Reading results: the ranking of a call (keyset pages on the ranking index) and the
selection proposal (the whole ranking read once, in index order, then `domain.selection`)."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import func
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from services.scoring.domain import ranking, selection
from services.scoring.domain.assignment import ReviewStatus
from services.scoring.models import Application, Call, Review
from services.scoring.models.api import ProposedOut, QuotaOut, RankingItem, SelectionOut
from shared.application_status import ApplicationStatus
from shared.db import Database
from shared.errors import NotFound
from shared.http import Page, PageParams, encode_cursor
from shared.money import quantize

CANDIDATES = frozenset(
    {ApplicationStatus.scored.value, ApplicationStatus.waitlisted.value, ApplicationStatus.awarded.value}
)


def _call(session: Session, call_id: uuid.UUID) -> Call:
    call = session.get(Call, call_id)
    if call is None:
        raise NotFound("no such call")
    return call


RANKING_COLUMNS = (
    col(Application.id),
    col(Application.reference),
    col(Application.score_shown),
    col(Application.reviewers),
    col(Application.requested_amount),
    col(Application.jobs_planned),
    col(Application.submitted_at),
    col(Application.status),
    col(Application.diverged),
    col(Application.decided_amount),
    col(Application.rank_key),
)


def ranking_page(db: Database, call_id: uuid.UUID, page: PageParams) -> Page[RankingItem]:
    last_rank, after = ranking.parse_ranking_cursor(page.after) if page.after is not None else (0, b"")
    query = (
        select_columns(*RANKING_COLUMNS)
        .where(col(Application.call_id) == call_id, col(Application.rank_key) > after)
        .order_by(col(Application.rank_key))
        .limit(page.limit + 1)
    )
    with Session(db.engine) as session:
        call = _call(session, call_id)
        rows = session.execute(query).all()
        more = len(rows) > page.limit
        rows = rows[: page.limit]
        recusals = (
            dict(
                session.exec(
                    select(Review.application_id, func.count())
                    .where(
                        col(Review.application_id).in_([r.id for r in rows]),
                        Review.status == ReviewStatus.recused.value,
                    )
                    .group_by(col(Review.application_id))
                ).all()
            )
            if rows
            else {}
        )

    def money(amount: Decimal | None) -> Decimal | None:
        return None if amount is None else quantize(amount, call.currency_exponent)

    items = [
        RankingItem(
            rank=last_rank + i + 1,
            application_id=r.id,
            reference=r.reference,
            score=r.score_shown or Decimal(0),
            reviewers=r.reviewers,
            requested_amount=money(r.requested_amount),
            currency=call.currency,
            jobs_planned=r.jobs_planned,
            submitted_at=r.submitted_at,
            status=r.status,
            diverged=r.diverged,
            recusals=recusals.get(r.id, 0),
            decided_amount=money(r.decided_amount),
        )
        for i, r in enumerate(rows)
    ]
    cursor = encode_cursor(ranking.ranking_cursor(last_rank + len(rows), rows[-1].rank_key)) if more else None
    return Page[RankingItem](items=items, next_cursor=cursor)


def selection_proposal(db: Database, call_id: uuid.UUID) -> SelectionOut:
    """The proposal for the call as it stands (computed on each request; nothing is stored)."""
    columns = (
        col(Application.id),
        col(Application.status),
        col(Application.requested_amount),
        col(Application.decided_amount),
        col(Application.owner_sex),
        col(Application.displacement_status),
    )
    query = (
        select_columns(*columns)
        .where(col(Application.call_id) == call_id, col(Application.rank_key) > b"")
        .order_by(col(Application.rank_key))
    )
    with Session(db.engine) as session:
        call = _call(session, call_id)
    with db.engine.connect() as connection:  # plain rows: no ORM bookkeeping for 100,000 of them
        rows = connection.execute(query).all()
    groups: dict[tuple[str, str], frozenset[str]] = {}
    awarded = ApplicationStatus.awarded.value
    candidates = [
        selection.Candidate(
            application_id,
            rank,
            requested,
            groups.get((sex, displacement))
            or groups.setdefault((sex, displacement), selection.groups_of(sex, displacement)),
            decided if status == awarded else None,
        )
        for rank, (application_id, status, requested, decided, sex, displacement) in enumerate(rows, 1)
        if status in CANDIDATES
    ]
    available = call.budget - call.awarded_total
    quotas = {name: Decimal(str(share)) for name, share in call.quotas.items() if share is not None}
    result = selection.select(candidates, available, call.grant_min, call.grant_max, quotas)
    with db.engine.connect() as connection:
        shown = (
            {
                row.id: row
                for row in connection.execute(
                    select_columns(col(Application.id), col(Application.reference), col(Application.owner_sex)).where(
                        col(Application.id).in_([p.application_id for p in result.proposed])
                    )
                )
            }
            if result.proposed
            else {}
        )

    def money(amount: Decimal) -> Decimal:
        return quantize(amount, call.currency_exponent)

    return SelectionOut(
        call_id=call.id,
        currency=call.currency,
        budget=money(call.budget),
        awarded=money(call.awarded_total),
        available=money(available),
        proposed=[
            ProposedOut(
                application_id=p.application_id,
                reference=shown[p.application_id].reference,
                rank=p.rank,
                amount=money(p.amount),
                women_owned=shown[p.application_id].owner_sex == "female",
            )
            for p in result.proposed
        ],
        total=money(result.total),
        quotas={
            name: QuotaOut(required=q.required, achieved=q.achieved, met=q.met, members=q.members, grants=q.grants)
            for name, q in result.quotas.items()
        },
    )
