"""What other applications share with one being screened: identifiers in its call, earlier
awards, and similar owner names (compared here, in the service that holds the names)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from services.applications.domain import names, screening
from services.applications.models import Application

EARLIER_STATUSES = ("draft", "withdrawn")
MAX_NAME_MATCHES = 10


def matches(session: Session, application: Application) -> tuple[screening.Matches, list[dict[str, Any]]]:
    """Earlier submissions in the same call sharing an identifier, earlier awards (any call),
    and possible duplicates by owner name (the call's other submissions and earlier awards)."""
    assert application.submitted_at is not None
    earlier = (
        select(Application.id)
        .where(Application.call_id == application.call_id, Application.id != application.id)
        .where(col(Application.status).not_in(EARLIER_STATUSES))
        .where(col(Application.submitted_at) < application.submitted_at)
    )

    def shares(column: object, value: str | None) -> bool:
        return value is not None and session.exec(earlier.where(column == value).limit(1)).first() is not None

    awarded = select(Application.id).where(Application.status == "awarded", Application.call_id != application.call_id)
    prior = any(
        value is not None and session.exec(awarded.where(column == value).limit(1)).first() is not None
        for column, value in (
            (Application.national_id_hash, application.national_id_hash),
            (Application.registration_key, application.registration_key),
        )
    )
    similar = similar_names(session, application)
    found = screening.Matches(
        national_id_in_call=shares(Application.national_id_hash, application.national_id_hash),
        phone_in_call=shares(Application.phone_hash, application.phone_hash),
        registration_in_call=shares(Application.registration_key, application.registration_key),
        prior_beneficiary=prior,
        similar_name=bool(similar),
    )
    return found, similar


def similar_names(session: Session, application: Application) -> list[dict[str, Any]]:
    """Candidates share the name's block (first sounds of the first two parts); each is scored."""
    if not application.name_skeleton or not application.name_block:
        return []
    mine = application.name_skeleton.split()
    in_call = (
        select(Application.id, Application.reference, Application.name_skeleton, Application.status)
        .where(Application.call_id == application.call_id, Application.name_block == application.name_block)
        .where(Application.id != application.id, col(Application.status).not_in(EARLIER_STATUSES))
    )
    awarded = select(Application.id, Application.reference, Application.name_skeleton, Application.status).where(
        Application.status == "awarded",
        Application.name_block == application.name_block,
        Application.call_id != application.call_id,
    )
    found: list[dict[str, Any]] = []
    for query in (in_call, awarded):
        for other_id, reference, skeleton, status in session.exec(query).all():
            score = names.similarity(mine, (skeleton or "").split())
            if score >= names.THRESHOLD:
                found.append(
                    {
                        "application_id": str(other_id),
                        "reference": reference,
                        "score": round(score, 3),
                        "awarded": status == "awarded",
                    }
                )
    return sorted(found, key=lambda m: -m["score"])[:MAX_NAME_MATCHES]
