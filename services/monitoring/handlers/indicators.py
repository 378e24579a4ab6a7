"""A call's indicators: counts and sums by SQL aggregates (GROUP BY), each broken down by the
owner's sex and displacement status and the business's governorate.

Grouped rows are folded in Python: there are at most a few hundred (statuses × sexes ×
displacement statuses × governorates), whatever the number of grants."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, literal, select
from sqlmodel import Session, col, func

from services.monitoring.handlers.reports import DISPLACEMENT, SEXES
from services.monitoring.models import Application, Call, Grant, GrantTranche, Job, JobObservation
from services.monitoring.models.api import ApplicationCounts, Breakdown, IndicatorsOut, MoneyBreakdown
from services.monitoring.models.copies import APPLICATION_STATUSES
from shared.db import Database
from shared.errors import NotFound
from shared.money import exponent_of, quantize

UNKNOWN = "unknown"  # a grant whose application has not reached monitoring (yet)
Dims = tuple[dict[str, Any], dict[str, Any], dict[str, Any]]


def _grouped(session: Session, query: Any, keys: tuple[str, ...] | None = None) -> dict[str, int]:
    rows = {str(k): int(v or 0) for k, v in session.execute(query).all()}
    if keys is not None:
        return {key: rows.get(key, 0) for key in keys} | {k: v for k, v in rows.items() if k not in keys}
    return rows


def _ordered(found: dict[str, Any], keys: Sequence[str], zero: Any) -> dict[str, Any]:
    """The usual keys first (zero when absent), then any other found not zero, sorted."""
    return {k: found.get(k, zero) for k in keys} | {k: found[k] for k in sorted(found) if k not in keys and found[k]}


def _fold(rows: Iterable[Sequence[Any]], zero: Any) -> Dims:
    """(sex, displacement, governorate, value) rows summed into one mapping per dimension."""
    by_sex: dict[str, Any] = {}
    by_displacement: dict[str, Any] = {}
    by_governorate: dict[str, Any] = {}
    for sex, displacement, governorate, value in rows:
        for found, key in ((by_sex, sex), (by_displacement, displacement), (by_governorate, governorate)):
            found[str(key)] = found.get(str(key), zero) + value
    return (
        _ordered(by_sex, SEXES, zero),
        _ordered(by_displacement, DISPLACEMENT, zero),
        _ordered(by_governorate, (), zero),
    )


def _owner_dims() -> tuple[Any, Any, Any]:
    return (
        func.coalesce(col(Application.owner_sex), literal(UNKNOWN)),
        func.coalesce(col(Application.owner_displacement_status), literal(UNKNOWN)),
        func.coalesce(col(Application.governorate), literal(UNKNOWN)),
    )


def _applications(session: Session, call_id: uuid.UUID) -> ApplicationCounts:
    dims = (
        col(Application.status),
        col(Application.owner_sex),
        col(Application.owner_displacement_status),
        col(Application.governorate),
    )
    rows = session.execute(select(*dims, func.count()).where(col(Application.call_id) == call_id).group_by(*dims)).all()
    by_status: dict[str, int] = {}
    for status, *_, count in rows:
        by_status[status] = by_status.get(status, 0) + int(count)
    by_sex, by_displacement, by_governorate = _fold(((s, d, g, int(n)) for _, s, d, g, n in rows), 0)
    return ApplicationCounts(
        total=sum(by_status.values()),
        by_status=_ordered(by_status, APPLICATION_STATUSES, 0),
        by_sex=by_sex,
        by_displacement_status=by_displacement,
        by_governorate=by_governorate,
    )


def _money(values: Iterable[tuple[Any, Any, Any, Any]], exponent: int) -> MoneyBreakdown:
    rows = [(s, d, g, Decimal(str(v or 0))) for s, d, g, v in values]
    by_sex, by_displacement, by_governorate = _fold(rows, Decimal(0))

    def q(found: dict[str, Decimal]) -> dict[str, Decimal]:
        return {k: quantize(v, exponent) for k, v in found.items()}

    return MoneyBreakdown(
        total=quantize(sum((r[3] for r in rows), Decimal(0)), exponent),
        by_sex=q(by_sex),
        by_displacement_status=q(by_displacement),
        by_governorate=q(by_governorate),
    )


def _grants(session: Session, call_id: uuid.UUID, exponent: int) -> tuple[Breakdown, MoneyBreakdown, MoneyBreakdown]:
    """Grants, money awarded and money disbursed by the owner and the business."""
    dims = _owner_dims()
    on = col(Application.id) == col(Grant.application_id)
    grants = session.execute(
        select(*dims, func.count(col(Grant.id)), func.sum(col(Grant.amount)))
        .select_from(Grant)
        .outerjoin(Application, on)
        .where(col(Grant.call_id) == call_id)
        .group_by(*dims)
    ).all()
    paid = session.execute(
        select(*dims, func.sum(col(GrantTranche.paid_amount)))
        .select_from(GrantTranche)
        .join(Grant, col(Grant.id) == col(GrantTranche.grant_id))
        .outerjoin(Application, on)
        .where(col(Grant.call_id) == call_id, col(GrantTranche.paid_amount).is_not(None))
        .group_by(*dims)
    ).all()
    by_sex, by_displacement, by_governorate = _fold(((s, d, g, int(n)) for s, d, g, n, _ in grants), 0)
    counts = Breakdown(
        total=sum(by_sex.values()), by_sex=by_sex, by_displacement_status=by_displacement, by_governorate=by_governorate
    )
    return (
        counts,
        _money(((s, d, g, amount) for s, d, g, _, amount in grants), exponent),
        _money(((s, d, g, amount) for s, d, g, amount in paid), exponent),
    )


def last_seen_employed(call_id: uuid.UUID) -> Any:
    """(job_id, last_on): the last follow-up visit that saw each of the call's jobs employed. A job
    is retained at a horizon when `last_on` is on or after its grant's cutoff (schedule.retained)."""
    last_on = func.max(col(JobObservation.observed_on)).label("last_on")
    return (
        select(col(JobObservation.job_id).label("job_id"), last_on)
        .join(Job, col(Job.id) == col(JobObservation.job_id))
        .join(Grant, col(Grant.id) == col(Job.grant_id))
        .where(
            col(Grant.call_id) == call_id,
            col(JobObservation.visit_kind) == "follow_up",
            col(JobObservation.still_employed).is_(True),
        )
        .group_by(col(JobObservation.job_id))
        .subquery("last_seen")
    )


def retained_at(last_on: Any, cutoff: Any) -> Any:
    """1 for a job retained at the horizon whose cutoff is `cutoff`, else 0 (SUM-able)."""
    return case((and_(cutoff.is_not(None), last_on >= cutoff), 1), else_=0)


def _planned(session: Session, call_id: uuid.UUID) -> Breakdown:
    """Planned jobs of the call's grants: sex from the plan, displacement status (the owner's) and
    governorate (the business's) from the application."""
    dims = (col(Application.owner_displacement_status), col(Application.governorate))
    rows = session.execute(
        select(*dims, func.sum(col(Application.jobs_planned_female)), func.sum(col(Application.jobs_planned_male)))
        .select_from(Grant)
        .join(Application, col(Application.id) == col(Grant.application_id))
        .where(col(Grant.call_id) == call_id)
        .group_by(*dims)
    ).all()
    female, male = sum(int(f or 0) for *_, f, _ in rows), sum(int(m or 0) for *_, m in rows)
    _, by_displacement, by_governorate = _fold(((None, d, g, int(f or 0) + int(m or 0)) for d, g, f, m in rows), 0)
    return Breakdown(
        total=female + male,
        by_sex={"female": female, "male": male},
        by_displacement_status=by_displacement,
        by_governorate=by_governorate,
    )


def _jobs(session: Session, call_id: uuid.UUID) -> tuple[Breakdown, Breakdown, Breakdown]:
    """Jobs in the ledger of the call's grants, and those retained at 6 and 12 months, by the job's
    sex and displacement status and the business's governorate (`unknown` before its application)."""
    seen = last_seen_employed(call_id)
    dims = (col(Job.sex), col(Job.displacement_status), func.coalesce(col(Application.governorate), literal(UNKNOWN)))
    rows = session.execute(
        select(
            *dims,
            func.count(col(Job.id)),
            func.sum(retained_at(seen.c.last_on, col(Grant.retention_6m_on))),
            func.sum(retained_at(seen.c.last_on, col(Grant.retention_12m_on))),
        )
        .select_from(Job)
        .join(Grant, col(Grant.id) == col(Job.grant_id))
        .outerjoin(Application, col(Application.id) == col(Grant.application_id))
        .outerjoin(seen, seen.c.job_id == col(Job.id))
        .where(col(Grant.call_id) == call_id)
        .group_by(*dims)
    ).all()

    def breakdown(index: int) -> Breakdown:
        by_sex, by_displacement, by_governorate = _fold(((s, d, g, int(r[index] or 0)) for s, d, g, *r in rows), 0)
        return Breakdown(
            total=sum(by_sex.values()),
            by_sex=by_sex,
            by_displacement_status=by_displacement,
            by_governorate=by_governorate,
        )

    return breakdown(0), breakdown(1), breakdown(2)


def call_indicators(db: Database, call_id: uuid.UUID) -> IndicatorsOut:
    with Session(db.engine) as session:
        call = session.get(Call, call_id)
        if call is None:
            raise NotFound("no such call")
        exponent = exponent_of(call.currency, call.currency_exponent)
        applications = _applications(session, call_id)
        statuses = _grouped(
            session,
            select(col(Grant.status), func.count()).where(col(Grant.call_id) == call_id).group_by(col(Grant.status)),
            ("active", "completed"),
        )
        grants, awarded, disbursed = _grants(session, call_id, exponent)
        planned = _planned(session, call_id)
        verified, retained_6m, retained_12m = _jobs(session, call_id)
    return IndicatorsOut(
        call_id=call_id,
        currency=call.currency,
        applications=applications,
        grants=statuses,
        grant_breakdown=grants,
        awarded=awarded.total,
        awarded_breakdown=awarded,
        disbursed=disbursed.total,
        disbursed_breakdown=disbursed,
        jobs_planned=planned,
        jobs_verified=verified,
        jobs_retained_6m=retained_6m,
        jobs_retained_12m=retained_12m,
        cost_per_job=quantize(disbursed.total / verified.total, exponent) if verified.total else None,
    )
