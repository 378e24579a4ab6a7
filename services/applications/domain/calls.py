"""Pure rules of calls and applications: no web framework, session or NATS."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from shared.errors import Conflict, Invalid
from shared.events.calls import CallSpec
from shared.money import exponent_of, fits_exponent


class CallStatus(StrEnum):
    draft = "draft"
    open = "open"
    closed = "closed"


def call_rule_violations(spec: CallSpec) -> list[dict[str, Any]]:
    """Every cross-field rule a call breaks, each naming its field."""
    errors: list[dict[str, Any]] = []

    def fail(loc: list[str | int], msg: str) -> None:
        errors.append({"loc": ["body", *loc], "msg": msg})

    weights = sum((c.weight for c in spec.rubric), Decimal(0))
    if weights != 1:
        fail(["rubric"], f"criterion weights must sum to 1 (they sum to {weights})")
    if len({c.key for c in spec.rubric}) != len(spec.rubric):
        fail(["rubric"], "criterion keys must be unique")
    percents = sum((t.percent for t in spec.tranche_plan), Decimal(0))
    if percents != 100:
        fail(["tranche_plan"], f"tranche percents must sum to 100 (they sum to {percents})")
    if len({t.milestone for t in spec.tranche_plan}) != len(spec.tranche_plan):
        fail(["tranche_plan"], "each tranche needs its own milestone")
    if spec.closes_at <= spec.opens_at:
        fail(["closes_at"], "must be after opens_at")
    if spec.grant_min > spec.grant_max:
        fail(["grant_min"], "must not exceed grant_max")
    if spec.grant_max > spec.budget:
        fail(["grant_max"], "must not exceed budget")
    exponent = exponent_of(spec.currency, spec.currency_exponent)
    for name in ("budget", "grant_min", "grant_max"):
        if not fits_exponent(getattr(spec, name), exponent):
            fail([name], f"{spec.currency} amounts have at most {exponent} decimal places here")
    rules = spec.eligibility
    low, high = rules.min_employees, rules.max_employees
    if low is not None and high is not None and low > high:
        fail(["eligibility", "min_employees"], "must not exceed max_employees")
    return errors


def check_call(spec: CallSpec) -> None:
    errors = call_rule_violations(spec)
    if errors:
        raise Invalid(f"{len(errors)} invalid field(s)", errors)


def opened(status: CallStatus, closes_at: datetime, now: datetime) -> CallStatus:
    if status is not CallStatus.draft:
        raise Conflict(f"only a draft call can be opened; this one is {status.value}")
    if closes_at <= now:
        raise Conflict("the call's closing time has passed; it cannot be opened")
    return CallStatus.open


def closed(status: CallStatus) -> CallStatus:
    if status is not CallStatus.open:
        raise Conflict(f"only an open call can be closed; this one is {status.value}")
    return CallStatus.closed
