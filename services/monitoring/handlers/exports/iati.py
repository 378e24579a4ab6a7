"""A call's grants as an IATI 2.03 activity file (https://iatistandard.org/en/iati-standard/203/):
one `<iati-activity>` per grant, built with the standard library.

Each activity: its identifier (the publisher's organisation identifier + the grant id), the
publisher as reporting and funding organisation, the grantee as implementing organisation by
its application reference only, the call's title in English and Arabic, a status and the start
date, Iraq and the governorate, the sector (DAC purpose code, and the EDF sector in the reporting
organisation's vocabulary), the award as an outgoing commitment (transaction type 2) and one
disbursement (type 3) per paid tranche. Every text and attribute goes through `xml_text` (what
XML 1.0 cannot hold becomes U+FFFD), besides the API's refusal of control characters in titles."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from xml.etree import ElementTree as ET

from services.monitoring.domain import sectors
from services.monitoring.handlers.exports import rows
from services.monitoring.handlers.exports.rows import GrantFacts, Publisher
from services.monitoring.models import Call
from shared.db import Database
from shared.fields import xml_text
from shared.money import as_text

LANG = "{http://www.w3.org/XML/1998/namespace}lang"
ACTIVITY_STATUS = {"active": "2", "completed": "3", "cancelled": "5"}  # implementation, finalisation
PRIVATE_SECTOR = "70"  # IATI OrganisationType
STANDARD_GRANT = "110"  # IATI FinanceType
DAC_VOCABULARY, OWN_VOCABULARY = "1", "99"  # IATI SectorVocabulary: DAC 5 digit, the reporting organisation's


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k.replace("_", "-"): xml_text(v) for k, v in attributes.items()})
    element.text = None if text is None else xml_text(text)
    return element


def _narratives(parent: ET.Element, tag: str, texts: dict[str, str], **attributes: str) -> ET.Element:
    element = _sub(parent, tag, **attributes)
    for lang, text in texts.items():
        _sub(element, "narrative", text, **{LANG: lang})
    return element


def _value(parent: ET.Element, amount: Decimal, currency: str, on: str) -> None:
    _sub(parent, "value", as_text(amount), currency=currency, value_date=on)


def _transaction(
    activity: ET.Element,
    kind: str,
    on: str,
    amount: Decimal,
    currency: str,
    text: str,
    publisher: Publisher,
    grantee: str,
    ref: str | None = None,
) -> None:
    transaction = _sub(activity, "transaction", **({"ref": ref} if ref else {}))
    _sub(transaction, "transaction-type", code=kind)
    _sub(transaction, "transaction-date", iso_date=on)
    _value(transaction, amount, currency, on)
    _narratives(transaction, "description", {"en": text})
    _narratives(transaction, "provider-org", {"en": publisher.name}, ref=publisher.org_ref, type=publisher.org_type)
    _narratives(transaction, "receiver-org", {"en": grantee}, type=PRIVATE_SECTOR)


def activity(root: ET.Element, publisher: Publisher, call: Call, grant: GrantFacts, updated: str) -> None:
    node = _sub(root, "iati-activity", last_updated_datetime=updated, default_currency=grant.currency, **{LANG: "en"})
    _sub(node, "iati-identifier", f"{publisher.org_ref}-{grant.id}")
    _narratives(node, "reporting-org", {"en": publisher.name}, ref=publisher.org_ref, type=publisher.org_type)
    _narratives(node, "title", rows.title(call, grant))
    _narratives(node, "description", rows.description(publisher, call, grant), type="1")
    _narratives(
        node, "participating-org", {"en": publisher.name}, ref=publisher.org_ref, type=publisher.org_type, role="1"
    )
    _narratives(node, "participating-org", {"en": rows.grantee(grant)}, type=PRIVATE_SECTOR, role="4")
    _sub(node, "activity-status", code=ACTIVITY_STATUS.get(grant.status, "2"))
    _sub(node, "activity-date", type="2", iso_date=grant.created_on.isoformat())  # actual start
    _sub(node, "recipient-country", code="IQ", percentage="100")
    if grant.governorate:
        names = {
            lang: name for lang in ("en", "ar") if (name := rows.governorate_name(grant.governorate, lang)) is not None
        }
        location = _sub(node, "location", ref=grant.governorate)  # ISO 3166-2:IQ
        if names:
            _narratives(location, "name", names)
        _sub(location, "administrative", vocabulary="A4", level="0", code="IQ")
        _sub(location, "exactness", code="2")  # approximate: the governorate, not the premises
        _sub(location, "location-class", code="1")  # administrative region
        _sub(location, "feature-designation", code="ADM1")
    code, name = sectors.dac_sector(grant.sector)
    _narratives(node, "sector", {"en": name}, vocabulary=DAC_VOCABULARY, code=code, percentage="100")
    if grant.sector:
        _narratives(
            node, "sector", {"en": grant.sector}, vocabulary=OWN_VOCABULARY, code=grant.sector, percentage="100"
        )
    _sub(node, "default-finance-type", code=STANDARD_GRANT)
    grantee = rows.grantee(grant)
    awarded_on = grant.award_date.isoformat()
    _transaction(node, "2", awarded_on, grant.amount, grant.currency, "Grant awarded", publisher, grantee)
    for payment in grant.payments:
        _transaction(
            node,
            "3",
            payment.paid_on.isoformat(),
            payment.amount,
            grant.currency,
            f"Tranche {payment.seq}: {payment.milestone}",
            publisher,
            grantee,
            ref=str(payment.tranche_id),
        )


def activities_file(publisher: Publisher, call: Call, grants: Sequence[GrantFacts], generated: datetime) -> bytes:
    stamp = generated.astimezone(UTC).replace(microsecond=0).isoformat()
    root = ET.Element("iati-activities", {"version": "2.03", "generated-datetime": stamp})
    for grant in grants:
        activity(root, publisher, call, grant, stamp)
    ET.indent(root)
    # Serialised to text and encoded once: a third faster than ElementTree's own UTF-8 writer.
    return ("<?xml version='1.0' encoding='utf-8'?>\n" + ET.tostring(root, encoding="unicode")).encode("utf-8")


def call_iati(db: Database, call_id: uuid.UUID, publisher: Publisher) -> tuple[str, bytes]:
    """(file name, XML document)."""
    call, grants = rows.call_grants(db, call_id)
    return f"edf-{call.code.lower()}-iati.xml", activities_file(publisher, call, grants, datetime.now(UTC))
