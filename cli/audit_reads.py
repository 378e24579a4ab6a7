"""The staff's reads of one application's personal data, from the applications audit trail."""

from __future__ import annotations

import uuid

from sqlalchemy import Connection, Table, select
from sqlmodel import col

from services.applications.models import Application
from shared.audit import utc_text
from shared.privacy import READ_ACTION


def application_id_of(connection: Connection, given: str) -> str | None:
    """The id of the application named by its id or its reference (EDF-…)."""
    try:
        wanted = uuid.UUID(given)
    except ValueError:
        query = select(col(Application.id)).where(col(Application.reference) == given.strip().upper())
    else:
        query = select(col(Application.id)).where(col(Application.id) == wanted)
    found = connection.execute(query).scalar()
    return None if found is None else str(found)


def find_reads(connection: Connection, audit: Table, given: str) -> list[tuple[str, str, str, str, str]] | None:
    """(at, actor id, role, fields, route) of each read, oldest first; None: no such application."""
    application_id = application_id_of(connection, given)
    if application_id is None:
        return None
    rows = connection.execute(
        select(audit.c.at, audit.c.actor_id, audit.c.actor_role, audit.c.after)
        .where(audit.c.action == READ_ACTION, audit.c.entity_id == application_id)
        .order_by(audit.c.seq)
    ).all()
    found = []
    for r in rows:
        after = r.after or {}
        fields = ",".join(after.get("fields", []))
        found.append((utc_text(r.at), str(r.actor_id), str(r.actor_role), fields, str(after.get("route", ""))))
    return found
