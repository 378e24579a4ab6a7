"""Event handlers: the calls and applications disbursement keeps, grants from awards, and
monitoring's milestones and flags. Each runs in the inbox's unit of work (one transaction with
the inbox row), so a redelivered or replayed event changes nothing."""

from __future__ import annotations

import logging
import uuid
from decimal import Decimal

from sqlmodel import col, select

from services.disbursement.domain import calls as call_rules
from services.disbursement.domain.split import CannotSplit, grant_id_for, split_award, tranche_id_for
from services.disbursement.domain.states import GrantStatus, TrancheStatus, after_holds, after_milestone
from services.disbursement.models import Application, Call, Grant, Hold, Tranche, VerifiedMilestone
from shared.clock import now
from shared.events.applications import ApplicationDecidedV1, ApplicationSubmittedV1
from shared.events.disbursement import GrantCreatedV1, TrancheFacts
from shared.events.envelope import IncomingCloudEvent
from shared.events.monitoring import FlagResolvedV1, GrantFlaggedV1, MilestoneVerifiedV1
from shared.inbox import NotYetApplicable, UnprocessableEvent
from shared.money import fits_exponent, quantize
from shared.replicas import call_copy_handlers, upsert_copy
from shared.tables import locked
from shared.uow import UnitOfWork

log = logging.getLogger("edf.disbursement")


call_opened, call_closed = call_copy_handlers(Call, call_rules.call_copy)


def application_submitted(uow: UnitOfWork, _: IncomingCloudEvent, data: ApplicationSubmittedV1) -> None:
    """Who applied, so that the grantee can read their grant (no name: an account id)."""
    before, _copy = upsert_copy(
        uow.session,
        Application,
        data.application_id,
        {
            "call_id": data.call_id,
            "reference": data.reference,
            "applicant_id": data.applicant_id,
            "submitted_at": data.submitted_at,
        },
    )
    if before is None:  # a replay finds it and changes nothing
        uow.audit("application.copied", "application_copy", data.application_id, after={"call_id": str(data.call_id)})


def application_decided(uow: UnitOfWork, _: IncomingCloudEvent, data: ApplicationDecidedV1) -> None:
    """An award becomes a grant with its tranches: one grant per application, whatever happens
    to the event (its id is derived from the application's, so a replay finds it)."""
    if data.decision != "awarded":
        return
    session = uow.session
    application = session.get(Application, data.application_id)
    if application is None:
        raise NotYetApplicable(f"application {data.application_id} is not submitted here yet")
    call = locked(session, Call, data.call_id)
    if call is None:
        raise NotYetApplicable(f"call {data.call_id} is not opened here yet")
    grant_id = grant_id_for(data.application_id)
    if session.get(Grant, grant_id) is not None:
        return  # a redelivered or replayed award (checked under the call's lock)
    amount = _checked_award(data, call)
    steps = call.tranche_plan
    try:
        amounts = split_award(amount, call.currency_exponent, [Decimal(s["percent"]) for s in steps])
    except CannotSplit as exc:
        raise UnprocessableEvent(str(exc)) from None
    moment = now()
    grant = Grant(
        id=grant_id,
        application_id=application.id,
        call_id=call.id,
        reference=application.reference,
        applicant_id=application.applicant_id,
        amount=amount,
        currency=call.currency,
        currency_exponent=call.currency_exponent,
        status=GrantStatus.active.value,
        created_at=moment,
    )
    session.add(grant)
    call.awarded_total = call.awarded_total + amount
    session.add(call)
    session.flush()  # the grant's row before its tranches (foreign keys)
    tranches = [
        Tranche(
            id=tranche_id_for(grant_id, seq),
            grant_id=grant_id,
            seq=seq,
            percent=Decimal(step["percent"]),
            amount=share,
            milestone=step["milestone"],
            status=TrancheStatus.planned.value,
        )
        for seq, (step, share) in enumerate(zip(steps, amounts, strict=True), start=1)
    ]
    session.add_all(tranches)
    uow.emit(
        GrantCreatedV1(
            grant_id=grant_id,
            application_id=application.id,
            call_id=call.id,
            amount=amount,
            currency=call.currency,
            reference=application.reference,
            created_at=moment,
            tranches=[
                TrancheFacts(tranche_id=t.id, seq=t.seq, amount=t.amount, milestone=t.milestone, percent=t.percent)
                for t in tranches
            ],
        ),
        grant_id,
    )
    uow.audit(
        "grant.created",
        "grant",
        grant_id,
        after={"status": grant.status, "amount": str(amount), "currency": call.currency, "tranches": len(tranches)},
    )
    session.flush()
    # What monitoring reported before the grant was known here (a rebuild from the streams).
    verified = session.exec(select(VerifiedMilestone.milestone).where(VerifiedMilestone.grant_id == grant_id)).all()
    _apply_milestones(uow, grant_id, set(verified))
    _refresh_hold(uow, grant_id)


def _checked_award(data: ApplicationDecidedV1, call: Call) -> Decimal:
    """The award as the call's currency has it; an award that can never be a grant is refused."""
    if data.amount is None or data.amount <= 0:
        raise UnprocessableEvent("an award without a positive amount")
    if data.currency != call.currency:
        raise UnprocessableEvent(f"an award in {data.currency} for a call in {call.currency}")
    if not fits_exponent(data.amount, call.currency_exponent):
        raise UnprocessableEvent(f"{call.currency} amounts have at most {call.currency_exponent} decimal places")
    amount = quantize(data.amount, call.currency_exponent)
    if call.awarded_total + amount > call.budget:
        raise UnprocessableEvent("the award would take the call's grants beyond its budget")
    return amount


def milestone_verified(uow: UnitOfWork, _: IncomingCloudEvent, data: MilestoneVerifiedV1) -> None:
    session = uow.session
    if session.get(VerifiedMilestone, (data.grant_id, data.milestone)) is None:
        session.add(
            VerifiedMilestone(
                grant_id=data.grant_id,
                milestone=data.milestone,
                verified_at=data.verified_at,
                verified_by=data.verified_by,  # None from events before monitoring said who
            )
        )
        session.flush()
        uow.audit(
            "milestone.recorded",
            "verified_milestone",
            data.grant_id,
            after={
                "milestone": data.milestone,
                "verified_at": data.verified_at.isoformat(),
                "verified_by": data.verified_by and str(data.verified_by),
            },
        )
    if locked(session, Grant, data.grant_id) is None:
        log.info("milestone kept for a grant not known yet", extra={"grant_id": str(data.grant_id)})
        return
    _apply_milestones(uow, data.grant_id, {data.milestone})


def grant_flagged(uow: UnitOfWork, _: IncomingCloudEvent, data: GrantFlaggedV1) -> None:
    if uow.session.get(Hold, data.flag_id) is None:
        uow.session.add(
            Hold(flag_id=data.flag_id, grant_id=data.grant_id, hold_payments=data.hold_payments, flagged_at=now())
        )
        uow.session.flush()
        uow.audit(
            "flag.recorded",
            "flag",
            data.flag_id,
            after={"grant_id": str(data.grant_id), "hold_payments": data.hold_payments, "resolved": False},
        )
    _refresh_hold(uow, data.grant_id)


def flag_resolved(uow: UnitOfWork, _: IncomingCloudEvent, data: FlagResolvedV1) -> None:
    hold = uow.session.get(Hold, data.flag_id)
    moment = now()
    before = None if hold is None else {"resolved": hold.resolved_at is not None}
    if hold is None:  # resolved before its flag arrived here: the flag holds nothing when it does
        hold = Hold(flag_id=data.flag_id, grant_id=data.grant_id, hold_payments=data.hold_payments, flagged_at=moment)
    if hold.resolved_at is None:
        hold.resolved_at = moment
        hold.resolved_by = data.resolved_by  # None from events before monitoring said who
        uow.audit(
            "flag.resolved",
            "flag",
            data.flag_id,
            before=before,
            after={
                "grant_id": str(data.grant_id),
                "hold_payments": data.hold_payments,
                "resolved": True,
                "resolved_by": data.resolved_by and str(data.resolved_by),
            },
        )
    uow.session.add(hold)
    uow.session.flush()
    _refresh_hold(uow, data.grant_id)


def _apply_milestones(uow: UnitOfWork, grant_id: uuid.UUID, milestones: set[str]) -> None:
    if not milestones:
        return
    query = select(Tranche).where(Tranche.grant_id == grant_id, col(Tranche.milestone).in_(milestones))
    for tranche in uow.session.exec(query.order_by(col(Tranche.seq)).with_for_update()).all():
        before = TrancheStatus(tranche.status)
        after = after_milestone(before)
        if after is not before:
            tranche.status = after.value
            uow.session.add(tranche)
            uow.audit(
                "tranche.eligible",
                "tranche",
                tranche.id,
                before={"status": before.value},
                after={"status": after.value, "milestone": tranche.milestone},
            )


def _refresh_hold(uow: UnitOfWork, grant_id: uuid.UUID) -> None:
    """`on_hold` while any unresolved flag of the grant holds payments, `active` otherwise."""
    grant = locked(uow.session, Grant, grant_id)
    if grant is None:
        return  # kept in `holds`: applied when the grant is created
    holding = (
        uow.session.exec(
            select(Hold.flag_id)
            .where(Hold.grant_id == grant_id, col(Hold.hold_payments).is_(True), col(Hold.resolved_at).is_(None))
            .limit(1)
        ).first()
        is not None
    )
    before = GrantStatus(grant.status)
    after = after_holds(before, holding)
    if after is not before:
        grant.status = after.value
        uow.session.add(grant)
        action = "grant.held" if after is GrantStatus.on_hold else "grant.released"
        uow.audit(action, "grant", grant.id, before={"status": before.value}, after={"status": after.value})
