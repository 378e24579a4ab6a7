"""Payout details: recorded by the grantee or an officer, kept as a new row each time."""

from __future__ import annotations

import uuid

from services.disbursement.domain.payee import normalise_payee
from services.disbursement.domain.states import PAYABLE_GRANT, GrantStatus
from services.disbursement.handlers.access import visible_grant
from services.disbursement.handlers.outputs import payee_out
from services.disbursement.models import Payee
from services.disbursement.models.api import PayeeIn, PayeeOut
from shared.auth import Principal
from shared.clock import now
from shared.db import Database
from shared.errors import Conflict, Invalid
from shared.uow import Actor, UnitOfWork


def record_payee(db: Database, principal: Principal, grant_id: uuid.UUID, body: PayeeIn) -> PayeeOut:
    details, problems = normalise_payee(body.model_dump())
    with UnitOfWork(db, Actor.of(principal)) as uow:
        grant = visible_grant(uow.session, principal, grant_id, lock=True)
        if problems:
            raise Invalid(f"{len(problems)} invalid field(s)", problems)
        if GrantStatus(grant.status) not in PAYABLE_GRANT:
            raise Conflict(f"the grant is {grant.status}: its payout details can no longer change")
        payee = Payee(grant_id=grant.id, recorded_by=principal.id, recorded_at=now(), **details)
        uow.session.add(payee)
        # The audit trail says that they changed and how to pay, never the account itself.
        uow.audit("payee.recorded", "grant", grant.id, after={"payee_id": str(payee.id), "method": payee.method})
        uow.commit()
        return payee_out(payee, principal)
