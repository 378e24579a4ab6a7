"""What disbursement keeps of a call."""

from __future__ import annotations

from typing import Any

from shared.events.calls import CallOpenedV1
from shared.money import exponent_of


def call_copy(call: CallOpenedV1) -> dict[str, Any]:
    """The parts of a call that grants, tranches and the budget ledger depend on."""
    return {
        "code": call.code,
        "status": "open",
        "currency": call.currency,
        "currency_exponent": exponent_of(call.currency, call.currency_exponent),
        "budget": call.budget,
        "tranche_plan": [step.model_dump(mode="json") for step in call.tranche_plan],
        "payment_channel": call.payment_channel,
    }
