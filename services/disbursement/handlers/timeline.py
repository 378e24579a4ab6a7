"""This service's part of an application's timeline: its grant, tranches and payments."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlmodel import col

from services.disbursement.domain.split import grant_id_for
from services.disbursement.models import Instruction, Tranche


def application_entities(connection: Connection, application_id: uuid.UUID) -> list[tuple[str, str]]:
    grant_id = grant_id_for(application_id)
    tranches = connection.execute(select(col(Tranche.id)).where(col(Tranche.grant_id) == grant_id)).scalars()
    payments = connection.execute(select(col(Instruction.id)).where(col(Instruction.grant_id) == grant_id)).scalars()
    return [
        ("grant", str(grant_id)),
        *(("tranche", str(t)) for t in tranches),
        *(("payment", str(p)) for p in payments),
    ]
