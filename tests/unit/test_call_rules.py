from datetime import UTC, datetime, timedelta

import pytest

from services.applications.domain import calls as domain
from services.applications.domain.calls import CallStatus
from shared.errors import Conflict
from shared.events.calls import CallSpec
from tests.support.samples import call_body


def spec(**overrides: object) -> CallSpec:
    return CallSpec.model_validate(call_body(**overrides))


def test_a_sound_call_breaks_no_rule() -> None:
    assert domain.call_rule_violations(spec()) == []


def test_iqd_amounts_follow_the_calls_exponent() -> None:
    iqd = spec(currency="IQD", currency_exponent=0, budget="100000000", grant_min="1000000", grant_max="5000000.5")
    assert [e["loc"] for e in domain.call_rule_violations(iqd)] == [["body", "grant_max"]]


def test_min_employees_above_max_is_named() -> None:
    body = call_body()
    body["eligibility"] = {**body["eligibility"], "min_employees": 60}
    errors = domain.call_rule_violations(CallSpec.model_validate(body))
    assert ["body", "eligibility", "min_employees"] in [e["loc"] for e in errors]


def test_repeated_rubric_keys_and_milestones_are_refused() -> None:
    label = {"en": "a", "ar": "ا"}
    rubric = [{"key": "a", "label": label, "weight": "0.5", "max_score": 5}] * 2
    plan = [{"percent": "50", "milestone": "m"}] * 2
    locs = [e["loc"] for e in domain.call_rule_violations(spec(rubric=rubric, tranche_plan=plan))]
    assert ["body", "rubric"] in locs and ["body", "tranche_plan"] in locs


def test_call_state_machine() -> None:
    now = datetime.now(UTC)
    assert domain.opened(CallStatus.draft, now + timedelta(days=1), now) is CallStatus.open
    with pytest.raises(Conflict):
        domain.opened(CallStatus.open, now + timedelta(days=1), now)
    with pytest.raises(Conflict):
        domain.opened(CallStatus.draft, now - timedelta(days=1), now)
    assert domain.closed(CallStatus.open) is CallStatus.closed
    with pytest.raises(Conflict):
        domain.closed(CallStatus.draft)
