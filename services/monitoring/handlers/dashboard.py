"""The staff dashboard's figures for a call: money paid per month, jobs by displacement status and
sex, and the visit schedule's state. SQL aggregates (GROUP BY); the schedule's statuses by the
same rule as a grant's own view (`schedule.schedule_statuses`), fed per grant."""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlmodel import Session, col

from services.monitoring.domain import schedule
from services.monitoring.handlers.access import IN_MONITORING
from services.monitoring.handlers.reports import DISPLACEMENT, SEXES
from services.monitoring.models import Call, Grant, GrantTranche, Job, ScheduledVisit, VerifiedMilestone, Visit
from services.monitoring.models.api import DashboardOut, DashboardVisits, MonthDisbursed, VisitCounts
from shared.clock import today
from shared.db import Database
from shared.errors import NotFound
from shared.money import exponent_of, quantize

KINDS = ("verification", "follow_up")
STATUS_NAMES = {"scheduled": "due", "overdue": "overdue", "done": "done"}


def _month(session: Session, column: Any) -> ColumnElement[str]:
    """`YYYY-MM` of a timestamp, in UTC."""
    if session.get_bind().dialect.name == "sqlite":  # stored as UTC text
        return func.strftime("%Y-%m", column)
    return func.to_char(func.timezone("UTC", column), "YYYY-MM")


def months_between(first: str, last: str) -> list[str]:
    """Every `YYYY-MM` from `first` to `last`, both included."""
    year, month = int(first[:4]), int(first[5:7])
    found = []
    while f"{year:04d}-{month:02d}" <= last:
        found.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


def _disbursed(session: Session, call_id: uuid.UUID, exponent: int) -> list[MonthDisbursed]:
    month = _month(session, col(GrantTranche.paid_at))
    rows = session.execute(
        select(month, func.sum(col(GrantTranche.paid_amount)), func.count())
        .join(Grant, col(Grant.id) == col(GrantTranche.grant_id))
        .where(col(Grant.call_id) == call_id, col(GrantTranche.paid_at).is_not(None))
        .group_by(month)
        .order_by(month)
    ).all()
    paid = {str(m): (Decimal(str(amount or 0)), int(count)) for m, amount, count in rows}
    if not paid:
        return []
    series, cumulative = [], Decimal(0)
    for m in months_between(min(paid), max(paid)):
        amount, count = paid.get(m, (Decimal(0), 0))
        cumulative += amount
        series.append(
            MonthDisbursed(
                month=m, amount=quantize(amount, exponent), cumulative=quantize(cumulative, exponent), tranches=count
            )
        )
    return series


def _jobs(session: Session, call_id: uuid.UUID) -> dict[str, dict[str, int]]:
    rows = session.execute(
        select(col(Job.displacement_status), col(Job.sex), func.count())
        .join(Grant, col(Grant.id) == col(Job.grant_id))
        .where(col(Grant.call_id) == call_id)
        .group_by(col(Job.displacement_status), col(Job.sex))
    ).all()
    table = {d: dict.fromkeys(SEXES, 0) for d in DISPLACEMENT}
    for displacement, sex, count in rows:
        table.setdefault(str(displacement), dict.fromkeys(SEXES, 0))[str(sex)] = int(count)
    return table


def _visits(session: Session, call_id: uuid.UUID, on: date) -> DashboardVisits:
    monitored = (col(Grant.call_id) == call_id) & col(Grant.status).in_(IN_MONITORING)
    slots: dict[uuid.UUID, list[schedule.Slot]] = defaultdict(list)
    for grant_id, kind, slot, due_on, milestone in session.execute(
        select(
            col(ScheduledVisit.grant_id),
            col(ScheduledVisit.kind),
            col(ScheduledVisit.slot),
            col(ScheduledVisit.due_on),
            col(ScheduledVisit.milestone),
        )
        .join(Grant, col(Grant.id) == col(ScheduledVisit.grant_id))
        .where(monitored)
    ).all():
        slots[grant_id].append(schedule.Slot(kind=kind, slot=slot, due_on=due_on, milestone=milestone))
    verified: dict[uuid.UUID, set[str]] = defaultdict(set)
    for grant_id, milestone in session.execute(
        select(col(VerifiedMilestone.grant_id), col(VerifiedMilestone.milestone))
        .join(Grant, col(Grant.id) == col(VerifiedMilestone.grant_id))
        .where(monitored)
    ).all():
        verified[grant_id].add(milestone)
    visits = {
        (grant_id, kind): int(count)
        for grant_id, kind, count in session.execute(
            select(col(Visit.grant_id), col(Visit.kind), func.count())
            .join(Grant, col(Grant.id) == col(Visit.grant_id))
            .where(col(Grant.call_id) == call_id)
            .group_by(col(Visit.grant_id), col(Visit.kind))
        ).all()
    }
    tally: Counter[tuple[str, str]] = Counter()
    for grant_id, grant_slots in slots.items():
        statuses = schedule.schedule_statuses(
            grant_slots, today=on, verified=verified[grant_id], follow_up_visits=visits.get((grant_id, "follow_up"), 0)
        )
        tally.update((s.kind, STATUS_NAMES[status]) for s, status in zip(grant_slots, statuses, strict=True))

    def counts(kinds: tuple[str, ...]) -> VisitCounts:
        return VisitCounts(**{name: sum(tally[(k, name)] for k in kinds) for name in STATUS_NAMES.values()})

    return DashboardVisits(
        **counts(KINDS).model_dump(), by_kind={k: counts((k,)) for k in KINDS}, recorded=sum(visits.values())
    )


def call_dashboard(db: Database, call_id: uuid.UUID) -> DashboardOut:
    on = today()
    with Session(db.engine) as session:
        call = session.get(Call, call_id)
        if call is None:
            raise NotFound("no such call")
        exponent = exponent_of(call.currency, call.currency_exponent)
        return DashboardOut(
            call_id=call_id,
            currency=call.currency,
            as_of=on,
            disbursed_by_month=_disbursed(session, call_id, exponent),
            jobs_verified=_jobs(session, call_id),
            visits=_visits(session, call_id, on),
        )
