"""Which grants a caller may see, loaded with the visibility rules and locks.

Lock order, everywhere: the call's row (a grant is created), then the grant's, then its
tranche's, then the instruction's; so that concurrent requests, approvals, settlements and
event handlers (two replicas) wait for each other and never deadlock.
"""

from __future__ import annotations

import uuid

from sqlmodel import Session, col, select

from services.disbursement.domain.duties import ensure_separate_from_monitoring
from services.disbursement.models import Grant, Hold, Payee, Tranche, VerifiedMilestone
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


def ensure_separate_duties(session: Session, tranche: Tranche, requester: Principal) -> None:
    """403 when the requester verified the tranche's milestone or resolved a hold on its grant."""
    verified = session.get(VerifiedMilestone, (tranche.grant_id, tranche.milestone))
    resolvers = session.exec(
        select(Hold.resolved_by).where(
            Hold.grant_id == tranche.grant_id, col(Hold.hold_payments).is_(True), col(Hold.resolved_by).is_not(None)
        )
    ).all()
    ensure_separate_from_monitoring(requester.id, verified.verified_by if verified else None, resolvers)
