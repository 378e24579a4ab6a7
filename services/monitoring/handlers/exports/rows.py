"""What the IATI and 360Giving exports publish of a call's grants, read in two queries.

Only facts that identify no one: the grant, its amounts and payments, and from the application
its reference, status, sector and governorate. Monitoring holds no names; the application's
district and the applicant's account id are left out too."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlmodel import Session, col

from services.monitoring.domain import sectors
from services.monitoring.models import Application, Call, Grant, GrantTranche
from services.monitoring.settings import Settings
from shared.db import Database
from shared.errors import Conflict, NotFound
from shared.iraq import GOVERNORATES
from shared.money import exponent_of, quantize


@dataclass(frozen=True)
class Publisher:
    name: str
    org_ref: str  # the organisation identifier (IATI reporting-org ref, 360Giving funder id)
    org_type: str  # IATI OrganisationType code
    grant_id_prefix: str  # 360Giving identifier prefix

    @classmethod
    def of(cls, settings: Settings) -> Publisher:
        return cls(
            name=settings.publisher_name,
            org_ref=settings.publisher_org_ref,
            org_type=settings.publisher_org_type,
            grant_id_prefix=settings.grant_id_prefix,
        )


@dataclass(frozen=True)
class Payment:
    tranche_id: uuid.UUID
    seq: int
    milestone: str
    amount: Decimal
    paid_on: date


@dataclass
class GrantFacts:
    id: uuid.UUID
    application_id: uuid.UUID
    reference: str | None
    status: str
    sector: str | None
    governorate: str | None
    currency: str
    amount: Decimal
    created_on: date
    decided_on: date | None
    jobs_planned: int | None
    payments: list[Payment] = field(default_factory=list)

    @property
    def disbursed(self) -> Decimal:
        return sum((p.amount for p in self.payments), Decimal(0))

    @property
    def award_date(self) -> date:
        return self.decided_on or self.created_on


def call_grants(db: Database, call_id: uuid.UUID) -> tuple[Call, list[GrantFacts]]:
    """The call and its grants (oldest first) with their payments; 404 for an unknown call,
    409 when it has no grant yet (both standards need at least one)."""
    with Session(db.engine) as session:
        call = session.get(Call, call_id)
        if call is None:
            raise NotFound("no such call")
        rows = session.execute(
            select(
                col(Grant.id),
                col(Grant.application_id),
                col(Application.reference),
                col(Grant.status),
                col(Application.sector),
                col(Application.governorate),
                col(Grant.currency),
                col(Grant.amount),
                col(Grant.created_on),
                col(Application.decided_at),
                col(Application.jobs_planned_female) + col(Application.jobs_planned_male),
            )
            .outerjoin(Application, col(Application.id) == col(Grant.application_id))
            .where(col(Grant.call_id) == call_id)
            .order_by(col(Grant.created_on), col(Grant.id))
        ).all()
        paid = session.execute(
            select(
                col(GrantTranche.grant_id),
                col(GrantTranche.id),
                col(GrantTranche.seq),
                col(GrantTranche.milestone),
                col(GrantTranche.paid_amount),
                col(GrantTranche.paid_at),
            )
            .join(Grant, col(Grant.id) == col(GrantTranche.grant_id))
            .where(col(Grant.call_id) == call_id, col(GrantTranche.paid_at).is_not(None))
            .order_by(col(GrantTranche.grant_id), col(GrantTranche.seq))
        ).all()
    if not rows:
        raise Conflict("the call has no grants yet: an IATI or 360Giving file needs at least one")
    exponent = exponent_of(call.currency, call.currency_exponent)
    payments: dict[uuid.UUID, list[Payment]] = defaultdict(list)
    for grant_id, tranche_id, seq, milestone, amount, paid_at in paid:
        payments[grant_id].append(
            Payment(tranche_id, seq, milestone, quantize(Decimal(str(amount)), exponent), _utc(paid_at).date())
        )
    grants = [
        GrantFacts(
            id=g,
            application_id=a,
            reference=ref,
            status=status,
            sector=sector,
            governorate=gov,
            currency=currency,
            amount=quantize(Decimal(str(amount)), exponent),
            created_on=created_on,
            decided_on=_utc(decided).date() if decided is not None else None,
            jobs_planned=None if planned is None else int(planned),
            payments=payments.get(g, []),
        )
        for g, a, ref, status, sector, gov, currency, amount, created_on, decided, planned in rows
    ]
    return call, grants


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def grantee(grant: GrantFacts) -> str:
    """How the exports name a grantee: the application's reference (never the business's name)."""
    return grant.reference or f"application {grant.application_id}"


def governorate_name(code: str | None, lang: str) -> str | None:
    found = GOVERNORATES.get(code or "")
    return found[lang] if found else None


def title(call: Call, grant: GrantFacts) -> dict[str, str]:
    """The activity's title in each language of the call's title."""
    titles = {"en": f"{call.title.get('en', call.code)}: grant {grantee(grant)}"}
    if call.title.get("ar"):
        titles["ar"] = f"{call.title['ar']}: منحة {grantee(grant)}"
    return titles


def description(publisher: Publisher, call: Call, grant: GrantFacts) -> dict[str, str]:
    place_en = governorate_name(grant.governorate, "en")
    place_ar = governorate_name(grant.governorate, "ar")
    sector = sectors.dac_sector(grant.sector)[1]
    jobs = "" if grant.jobs_planned is None else f" {grant.jobs_planned} jobs are planned."
    texts = {
        "en": f"A grant of {publisher.name} (call {call.code}) to a small business"
        f"{f' in {place_en}' if place_en else ''}, Iraq ({sector}).{jobs}"
    }
    jobs_ar = "" if grant.jobs_planned is None else f" عدد فرص العمل المخطط لها: {grant.jobs_planned}."
    texts["ar"] = f"منحة لمشروع صغير{f' في {place_ar}' if place_ar else ''}، العراق (الدعوة {call.code}).{jobs_ar}"
    return texts
