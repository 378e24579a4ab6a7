"""The copy of a call that reviewing, ranking, selection and decisions depend on."""

from __future__ import annotations

from typing import Any

from shared.events.calls import CallOpenedV1
from shared.money import exponent_of


def call_copy(call: CallOpenedV1) -> dict[str, Any]:
    """The parts of a call that reviewing, ranking and selection depend on."""
    return {
        "code": call.code,
        "status": "open",
        "currency": call.currency,
        "currency_exponent": exponent_of(call.currency, call.currency_exponent),
        "budget": call.budget,
        "grant_min": call.grant_min,
        "grant_max": call.grant_max,
        "rubric": [c.model_dump(mode="json") for c in call.rubric],
        "reviewers_per_application": call.reviewers_per_application,
        "divergence_threshold": call.divergence_threshold,
        "quotas": call.quotas.model_dump(mode="json", exclude_none=True),
        "closes_at": call.closes_at,
        "committee_quorum": call.committee_quorum,
    }
