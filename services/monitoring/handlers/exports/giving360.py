"""A call's grants as a 360Giving data package (https://standard.threesixtygiving.org), JSON.

Each grant: its identifier (the 360Giving prefix + the grant id), the call's title and code as
the grant programme, the amounts awarded and disbursed with one disbursement transaction per
paid tranche, the award date, the grantee as recipient organisation by its application reference
only, the publisher as funder, the governorate as beneficiary location (ISO 3166-2:IQ) and the
sector (DAC purpose code and the EDF sector) as classifications."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from services.monitoring.domain import sectors
from services.monitoring.handlers.exports import rows
from services.monitoring.handlers.exports.rows import GrantFacts, Publisher
from services.monitoring.models import Call
from shared.db import Database

VERSION = "1.4"  # of the 360Giving standard (major.minor)
DAC_VOCABULARY = "OECD DAC CRS purpose codes"
EDF_VOCABULARY = "EDF sector"


def number(amount: Decimal) -> int | float:
    """An amount as a JSON number: an integer when it is whole, else its shortest float (which
    prints back as the same decimal for the amounts a grant has)."""
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def grant_record(publisher: Publisher, call: Call, grant: GrantFacts) -> dict[str, Any]:
    prefix, grantee = publisher.grant_id_prefix, rows.grantee(grant)
    code, name = sectors.dac_sector(grant.sector)
    classifications = [{"vocabulary": DAC_VOCABULARY, "code": code, "title": name}]
    if grant.sector:
        classifications.append({"vocabulary": EDF_VOCABULARY, "code": grant.sector, "title": grant.sector})
    record: dict[str, Any] = {
        "id": f"{prefix}-{grant.id}",
        "title": rows.title(call, grant)["en"],
        "description": rows.description(publisher, call, grant)["en"],
        "currency": grant.currency,
        "amountAwarded": number(grant.amount),
        "amountDisbursed": number(grant.disbursed),
        "awardDate": grant.award_date.isoformat(),
        "plannedDates": [{"startDate": grant.created_on.isoformat()}],
        "recipientOrganization": [{"id": f"{prefix}-APP-{grant.reference or grant.application_id}", "name": grantee}],
        "fundingOrganization": [{"id": publisher.org_ref, "name": publisher.name}],
        "grantProgramme": [{"code": call.code, "title": call.title.get("en", call.code)}],
        "fromOpenCall": "Yes",
        "classifications": classifications,
    }
    if grant.governorate:
        record["beneficiaryLocation"] = [
            {
                "name": rows.governorate_name(grant.governorate, "en") or grant.governorate,
                "countryCode": "IQ",
                "geoCode": grant.governorate,
            }
        ]
    if grant.payments:
        record["disbursementTransaction"] = [
            {
                "id": f"{prefix}-{p.tranche_id}",
                "transactionDate": p.paid_on.isoformat(),
                "value": number(p.amount),
                "currency": grant.currency,
                "description": f"Tranche {p.seq}: {p.milestone}",
            }
            for p in grant.payments
        ]
    return record


def package(publisher: Publisher, call: Call, grants: Sequence[GrantFacts], issued: date) -> dict[str, Any]:
    return {
        "version": VERSION,
        "title": f"{publisher.name}: grants of call {call.code}",
        "identifier": f"{publisher.grant_id_prefix}-{call.code}-{issued.isoformat()}",
        "issued": issued.isoformat(),
        "publisher": {"name": publisher.name, "identifier": publisher.org_ref},
        "grants": [grant_record(publisher, call, grant) for grant in grants],
    }


def call_360giving(db: Database, call_id: uuid.UUID, publisher: Publisher) -> tuple[str, bytes]:
    """(file name, JSON document)."""
    call, grants = rows.call_grants(db, call_id)
    document = package(publisher, call, grants, datetime.now(UTC).date())
    return (f"edf-{call.code.lower()}-360giving.json", json.dumps(document, ensure_ascii=False).encode("utf-8"))
