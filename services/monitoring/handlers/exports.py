"""A call's grants as CSV with an HXL hashtag row (https://hxlstandard.org): one row per grant,
its money and job counts by SQL aggregates (scalar subqueries), no names or account ids."""

from __future__ import annotations

import csv
import io
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, exists, func, select
from sqlmodel import Session, col

from services.monitoring.models import Application, Call, Grant, GrantTranche, Job, JobObservation
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


def _retained_count(cutoff: Any) -> Any:
    seen: ColumnElement[bool] = exists().where(
        col(JobObservation.job_id) == col(Job.id), col(JobObservation.visit_kind) == "follow_up",
        col(JobObservation.still_employed).is_(True), col(JobObservation.observed_on) >= cutoff)
    return (select(func.count(col(Job.id))).where(col(Job.grant_id) == col(Grant.id), cutoff.is_not(None), seen)
            .correlate(Grant).scalar_subquery())


def call_csv(db: Database, call_id: uuid.UUID) -> tuple[str, str]:
    """(file name, CSV text): a header row, the HXL hashtag row, then one row per grant."""
    with Session(db.engine) as session:
        call = session.get(Call, call_id)
        if call is None:
            raise NotFound("no such call")
        disbursed = (select(func.coalesce(func.sum(col(GrantTranche.paid_amount)), 0))
                     .where(col(GrantTranche.grant_id) == col(Grant.id)).correlate(Grant).scalar_subquery())
        verified = (select(func.count(col(Job.id))).where(col(Job.grant_id) == col(Grant.id))
                    .correlate(Grant).scalar_subquery())
        query = (select(col(Grant.id), col(Grant.application_id), col(Grant.status), col(Application.governorate),
                        col(Application.owner_sex), col(Application.owner_displacement_status), col(Grant.currency),
                        col(Grant.amount), disbursed, col(Grant.first_paid_on),
                        col(Application.jobs_planned_female) + col(Application.jobs_planned_male), verified,
                        _retained_count(col(Grant.retention_6m_on)), _retained_count(col(Grant.retention_12m_on)))
                 .outerjoin(Application, col(Application.id) == col(Grant.application_id))
                 .where(col(Grant.call_id) == call_id).order_by(col(Grant.created_on), col(Grant.id)))
        rows = session.execute(query).all()
    exponent = exponent_of(call.currency, call.currency_exponent)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([name for name, _ in COLUMNS])
    writer.writerow([tag for _, tag in COLUMNS])
    for (grant_id, application_id, status, governorate, sex, displacement, currency, amount, paid, first_paid,
         planned, jobs, retained_6m, retained_12m) in rows:
        writer.writerow([grant_id, application_id, call.code, status, governorate or "", sex or "",
                         displacement or "", currency, quantize(Decimal(str(amount)), exponent),
                         quantize(Decimal(str(paid)), exponent), first_paid.isoformat() if first_paid else "",
                         "" if planned is None else int(planned), int(jobs), int(retained_6m), int(retained_12m)])
    return f"edf-{call.code.lower()}-grants.csv", out.getvalue()
