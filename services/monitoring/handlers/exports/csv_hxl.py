"""A call's grants as CSV with an HXL hashtag row (https://hxlstandard.org): one row per grant,
its money and job counts by SQL aggregates (per grant, joined), no names or account ids."""

from __future__ import annotations

import csv
import io
import uuid
from decimal import Decimal

from sqlalchemy import func, select
from sqlmodel import Session, col

from services.monitoring.handlers.indicators import last_seen_employed, retained_at
from services.monitoring.models import Application, Call, Grant, GrantTranche, Job
from shared.db import Database
from shared.errors import NotFound
from shared.money import exponent_of, quantize

COLUMNS: list[tuple[str, str]] = [
    ("grant_id", "#activity+id"),
    ("application_id", "#activity+application+id"),
    ("call_code", "#activity+call+code"),
    ("status", "#status"),
    ("governorate", "#adm1+code"),
    ("owner_sex", "#org+owner+sex"),
    ("owner_displacement_status", "#org+owner+displacement"),
    ("currency", "#currency"),
    ("awarded", "#value+awarded"),
    ("disbursed", "#value+disbursed"),
    ("first_payment_on", "#date+first_payment"),
    ("jobs_planned", "#indicator+jobs+planned+num"),
    ("jobs_verified", "#indicator+jobs+verified+num"),
    ("jobs_retained_6m", "#indicator+jobs+retained_6m+num"),
    ("jobs_retained_12m", "#indicator+jobs+retained_12m+num"),
]


def call_csv(db: Database, call_id: uuid.UUID) -> tuple[str, str]:
    """(file name, CSV text): a header row, the HXL hashtag row, then one row per grant."""
    with Session(db.engine) as session:
        call = session.get(Call, call_id)
        if call is None:
            raise NotFound("no such call")
        in_call = col(Grant.call_id) == call_id
        paid = (
            select(
                col(GrantTranche.grant_id).label("grant_id"), func.sum(col(GrantTranche.paid_amount)).label("amount")
            )
            .join(Grant, col(Grant.id) == col(GrantTranche.grant_id))
            .where(in_call, col(GrantTranche.paid_amount).is_not(None))
            .group_by(col(GrantTranche.grant_id))
            .subquery("paid")
        )
        seen = last_seen_employed(call_id)
        jobs = (
            select(
                col(Job.grant_id).label("grant_id"),
                func.count(col(Job.id)).label("verified"),
                func.sum(retained_at(seen.c.last_on, col(Grant.retention_6m_on))).label("retained_6m"),
                func.sum(retained_at(seen.c.last_on, col(Grant.retention_12m_on))).label("retained_12m"),
            )
            .join(Grant, col(Grant.id) == col(Job.grant_id))
            .outerjoin(seen, seen.c.job_id == col(Job.id))
            .where(in_call)
            .group_by(col(Job.grant_id))
            .subquery("ledger")
        )
        query = (
            select(
                col(Grant.id),
                col(Grant.application_id),
                col(Grant.status),
                col(Application.governorate),
                col(Application.owner_sex),
                col(Application.owner_displacement_status),
                col(Grant.currency),
                col(Grant.amount),
                paid.c.amount,
                col(Grant.first_paid_on),
                col(Application.jobs_planned_female) + col(Application.jobs_planned_male),
                jobs.c.verified,
                jobs.c.retained_6m,
                jobs.c.retained_12m,
            )
            .outerjoin(Application, col(Application.id) == col(Grant.application_id))
            .outerjoin(paid, paid.c.grant_id == col(Grant.id))
            .outerjoin(jobs, jobs.c.grant_id == col(Grant.id))
            .where(in_call)
            .order_by(col(Grant.created_on), col(Grant.id))
        )
        rows = session.execute(query).all()
    exponent = exponent_of(call.currency, call.currency_exponent)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([name for name, _ in COLUMNS])
    writer.writerow([tag for _, tag in COLUMNS])
    for (
        grant_id,
        application_id,
        status,
        governorate,
        sex,
        displacement,
        currency,
        amount,
        paid_amount,
        first_paid,
        planned,
        verified,
        retained_6m,
        retained_12m,
    ) in rows:
        writer.writerow(
            [
                grant_id,
                application_id,
                call.code,
                status,
                governorate or "",
                sex or "",
                displacement or "",
                currency,
                quantize(Decimal(str(amount)), exponent),
                quantize(Decimal(str(paid_amount or 0)), exponent),
                first_paid.isoformat() if first_paid else "",
                "" if planned is None else int(planned),
                int(verified or 0),
                int(retained_6m or 0),
                int(retained_12m or 0),
            ]
        )
    return f"edf-{call.code.lower()}-grants.csv", out.getvalue()
