"""Disbursement's pure rules: state moves, four eyes, settlement verdicts, payout details."""

from __future__ import annotations

import uuid

import pytest

from services.disbursement.domain.payee import mask, masked, normalise_payee
from services.disbursement.domain.settlement import InstructionStatus, Outcome, Verdict, alert_kind, judge
from services.disbursement.domain.states import (
    GrantStatus,
    TrancheStatus,
    after_holds,
    after_milestone,
    all_paid,
    ensure_approvable,
    ensure_requestable,
)
from shared.errors import Conflict, Forbidden

OFFICER, FINANCE = uuid.uuid4(), uuid.uuid4()


def test_a_milestone_makes_only_a_planned_tranche_eligible() -> None:
    assert after_milestone(TrancheStatus.planned) is TrancheStatus.eligible
    for status in (TrancheStatus.requested, TrancheStatus.instructed, TrancheStatus.paid, TrancheStatus.failed):
        assert after_milestone(status) is status


def test_holds_move_active_and_on_hold_only() -> None:
    assert after_holds(GrantStatus.active, True) is GrantStatus.on_hold
    assert after_holds(GrantStatus.on_hold, False) is GrantStatus.active
    assert after_holds(GrantStatus.completed, True) is GrantStatus.completed
    assert after_holds(GrantStatus.cancelled, False) is GrantStatus.cancelled


@pytest.mark.parametrize(
    ("grant", "tranche", "payee", "allowed"),
    [
        (GrantStatus.active, TrancheStatus.eligible, True, True),
        (GrantStatus.active, TrancheStatus.failed, True, True),
        (GrantStatus.active, TrancheStatus.planned, True, False),
        (GrantStatus.active, TrancheStatus.requested, True, False),
        (GrantStatus.active, TrancheStatus.paid, True, False),
        (GrantStatus.active, TrancheStatus.eligible, False, False),
        (GrantStatus.on_hold, TrancheStatus.eligible, True, False),
        (GrantStatus.completed, TrancheStatus.eligible, True, False),
    ],
)
def test_what_can_be_requested(grant: GrantStatus, tranche: TrancheStatus, payee: bool, allowed: bool) -> None:
    if allowed:
        ensure_requestable(grant, tranche, payee)
    else:
        with pytest.raises(Conflict):
            ensure_requestable(grant, tranche, payee)


def test_four_eyes_the_requester_never_approves() -> None:
    ensure_approvable(GrantStatus.active, TrancheStatus.requested, OFFICER, FINANCE, True)
    with pytest.raises(Forbidden):
        ensure_approvable(GrantStatus.active, TrancheStatus.requested, OFFICER, OFFICER, True)
    with pytest.raises(Conflict):  # approving twice
        ensure_approvable(GrantStatus.active, TrancheStatus.instructed, OFFICER, FINANCE, True)
    with pytest.raises(Conflict, match="on hold"):
        ensure_approvable(GrantStatus.on_hold, TrancheStatus.requested, OFFICER, FINANCE, True)
    with pytest.raises(Conflict, match="payout details changed"):
        ensure_approvable(GrantStatus.active, TrancheStatus.requested, OFFICER, FINANCE, False)


def test_all_paid_needs_at_least_one_tranche() -> None:
    assert all_paid([TrancheStatus.paid, TrancheStatus.paid])
    assert not all_paid([TrancheStatus.paid, TrancheStatus.failed])
    assert not all_paid([])


def test_the_first_report_decides_and_a_contradiction_is_an_alert() -> None:
    assert judge(InstructionStatus.instructed, Outcome.settled) is Verdict.apply
    assert judge(InstructionStatus.instructed, Outcome.failed) is Verdict.apply
    assert judge(InstructionStatus.settled, Outcome.settled) is Verdict.repeat
    assert judge(InstructionStatus.failed, Outcome.failed) is Verdict.repeat
    assert judge(InstructionStatus.failed, Outcome.settled) is Verdict.conflict
    assert judge(InstructionStatus.settled, Outcome.failed) is Verdict.conflict
    assert alert_kind(InstructionStatus.failed, Outcome.settled) == "settled_after_failed"


def test_a_bank_account_by_iban_is_checked_and_kept_compact() -> None:
    kept, problems = normalise_payee(
        {
            "method": "bank",
            "account_holder": "Layla Hassan",
            "iban": "iq98 nbiq 8501 2345 6789 012",
            "bic": "nbiq iq ba",
        }
    )
    assert problems == []
    assert kept == {
        "method": "bank",
        "account_holder": "Layla Hassan",
        "iban": "IQ98NBIQ850123456789012",
        "bic": "NBIQIQBA",
    }


@pytest.mark.parametrize(
    ("given", "field"),
    [
        ({"method": "bank", "iban": "IQ98NBIQ850123456789013"}, "iban"),  # a wrong check digit
        ({"method": "bank", "iban": "IQ98NBIQ85012345678901"}, "iban"),  # too short for Iraq
        ({"method": "bank"}, "iban"),  # neither IBAN nor account number
        ({"method": "bank", "account_number": "0012345678"}, "bank_name"),  # whose bank?
        ({"method": "bank", "account_number": "12"}, "account_number"),
        ({"method": "bank", "iban": "IQ98NBIQ850123456789012", "bic": "NOTABIC!"}, "bic"),
        ({"method": "bank", "iban": "IQ98NBIQ850123456789012", "wallet_phone": "07701234567"}, "wallet_phone"),
        ({"method": "mobile_money"}, "wallet_phone"),
        ({"method": "mobile_money", "wallet_phone": "12"}, "wallet_phone"),
        ({"method": "mobile_money", "wallet_phone": "07701234567", "iban": "IQ98NBIQ850123456789012"}, "iban"),
    ],
)
def test_wrong_payout_details_name_their_field(given: dict[str, str], field: str) -> None:
    _, problems = normalise_payee({"account_holder": "Layla Hassan", **given})
    assert field in [p["loc"][-1] for p in problems], problems


def test_a_wallet_phone_is_kept_in_e164_and_masked_for_display() -> None:
    kept, problems = normalise_payee(
        {
            "method": "mobile_money",
            "account_holder": "Omar Saleh",
            "wallet_phone": "٠٧٧٠ ١٢٣ ٤٥٦٧",
            "wallet_provider": "Zain Cash",
        }
    )
    assert problems == [] and kept["wallet_phone"] == "+9647701234567"
    assert masked(kept) == {**kept, "wallet_phone": "****4567"}
    assert mask("IQ98NBIQ850123456789012") == "****9012" and mask(None) is None


def test_names_lose_control_and_bidi_override_characters() -> None:
    kept, problems = normalise_payee(
        {"method": "bank", "account_holder": "La\x01yla\u202e Hassan", "iban": "IQ98NBIQ850123456789012"}
    )
    assert problems == [] and kept["account_holder"] == "Layla Hassan"
    _, problems = normalise_payee({"method": "bank", "account_holder": "\x02", "iban": "IQ98NBIQ850123456789012"})
    assert [p["loc"] for p in problems] == [["body", "account_holder"]]
