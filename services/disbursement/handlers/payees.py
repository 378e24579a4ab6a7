"""Payout details: recorded by the grantee or an officer, kept as a new row each time; details
staff record wait for a second person's confirmation (see `domain/duties.py`)."""

from __future__ import annotations

import uuid

from services.disbursement.domain.duties import RecordedAs, ensure_confirmable
from services.disbursement.domain.payee import normalise_payee
from services.disbursement.domain.states import PAYABLE_GRANT, GrantStatus
from services.disbursement.handlers.access import current_payee, visible_grant
from services.disbursement.handlers.outputs import payee_out
from services.disbursement.models import Grant, Payee
from services.disbursement.models.api import PayeeConfirmIn, PayeeIn, PayeeOut
from shared.auth import Principal
from shared.clock import now
from shared.db import Database
from shared.errors import Conflict, Invalid
from shared.uow import Actor, UnitOfWork


def _is_grantee(grant: Grant, principal: Principal) -> bool:
    return not principal.is_staff and grant.applicant_id is not None and grant.applicant_id == principal.id


def record_payee(db: Database, principal: Principal, grant_id: uuid.UUID, body: PayeeIn) -> PayeeOut:
    details, problems = normalise_payee(body.model_dump())
    with UnitOfWork(db, Actor.of(principal)) as uow:
        grant = visible_grant(uow.session, principal, grant_id, lock=True)
        if problems:
            raise Invalid(f"{len(problems)} invalid field(s)", problems)
        if GrantStatus(grant.status) not in PAYABLE_GRANT:
            raise Conflict(f"the grant is {grant.status}: its payout details can no longer change")
        moment = now()
        own = _is_grantee(grant, principal)  # the beneficiary's own account needs no second person
        payee = Payee(
            grant_id=grant.id,
            recorded_by=principal.id,
            recorded_at=moment,
            recorded_as=(RecordedAs.grantee if own else RecordedAs.staff).value,
            confirmed_by=principal.id if own else None,
            confirmed_at=moment if own else None,
            **details,
        )
        uow.session.add(payee)
        # The audit trail says that they changed and how to pay, never the account itself.
        uow.audit(
            "payee.recorded",
            "grant",
            grant.id,
            after={"payee_id": str(payee.id), "method": payee.method, "recorded_as": payee.recorded_as},
        )
        uow.commit()
        return payee_out(payee, principal)


def confirm_payee(db: Database, principal: Principal, grant_id: uuid.UUID, body: PayeeConfirmIn) -> PayeeOut:
    """The grantee (their own grant) or an officer who did not record them confirms pending
    details: 409 `payee_not_pending` / `payee_changed`, 403 `same_person`."""
    with UnitOfWork(db, Actor.of(principal)) as uow:
        grant = visible_grant(uow.session, principal, grant_id, lock=True)
        if GrantStatus(grant.status) not in PAYABLE_GRANT:
            raise Conflict(f"the grant is {grant.status}: its payout details can no longer change")
        payee = current_payee(uow.session, grant.id)
        pending = payee if payee is not None and payee.confirmed_at is None else None
        ensure_confirmable(
            pending_id=pending.id if pending else None,
            named_id=body.payee_id,
            recorded_by=pending.recorded_by if pending else None,
            confirmer=principal.id,
        )
        assert pending is not None
        pending.confirmed_by, pending.confirmed_at = principal.id, now()
        uow.session.add(pending)
        uow.audit(
            "payee.confirmed",
            "grant",
            grant.id,
            before={"payee_id": str(pending.id), "status": "pending"},
            after={
                "payee_id": str(pending.id),
                "status": "confirmed",
                "by": "grantee" if _is_grantee(grant, principal) else "staff",
            },
        )
        uow.commit()
        return payee_out(pending, principal)
