"""Which grants a caller may see, loaded with the visibility rules and locks.

Lock order, everywhere: the call's row (a grant is created), then the grant's, then its
tranche's, then the instruction's; so that concurrent requests, approvals, settlements and
event handlers (two replicas) wait for each other and never deadlock.
"""

from __future__ import annotations

import uuid

from sqlmodel import Session, col, select

from services.disbursement.models import Grant, Payee
from shared.auth import Principal
from shared.errors import NotFound
from shared.tables import locked


def visible_grant(session: Session, principal: Principal, grant_id: uuid.UUID, *, lock: bool = False) -> Grant:
    """The grant if the caller may see it (staff, or its grantee); 404 otherwise."""
    grant = locked(session, Grant, grant_id) if lock else session.get(Grant, grant_id)
    if grant is None or not (
        principal.is_staff or (grant.applicant_id is not None and grant.applicant_id == principal.id)
    ):
        raise NotFound("no such grant")
    return grant


def current_payee(session: Session, grant_id: uuid.UUID) -> Payee | None:
    query = select(Payee).where(Payee.grant_id == grant_id).order_by(col(Payee.recorded_at).desc()).limit(1)
    return session.exec(query).first()
