"""What monitoring keeps of a call."""

from __future__ import annotations

from typing import Any

from shared.events.calls import CallOpenedV1
from shared.money import exponent_of


def call_copy(call: CallOpenedV1) -> dict[str, Any]:
    """The parts of a call that visit schedules, indicators and exports depend on."""
    return {
        "code": call.code,
        "status": "open",
        "currency": call.currency,
        "currency_exponent": exponent_of(call.currency, call.currency_exponent),
        "title": call.title.model_dump(mode="json"),
        "governorates": list(call.eligibility.governorates or []),
        "tranche_milestones": [step.milestone for step in call.tranche_plan],
        "monitoring_schedule_days": list(call.monitoring_schedule_days),
    }
