"""Drafts and submission: merging partial input, and everything a submission must satisfy."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from shared.application_status import DECIDED, ApplicationStatus
from shared.application_status import moves_forward as moves_forward  # the handlers' forward-only rule
from shared.errors import Conflict
from shared.events.calls import CallSpec
from shared.money import exponent_of, fits_exponent

Sections = dict[str, dict[str, Any]]
Status = ApplicationStatus  # an application's status, as the intake rules name it
REQUIRED: dict[str, tuple[str, ...]] = {
    "business": ("name", "sector", "governorate", "district", "founded_year", "employees_female", "employees_male"),
    "owner": ("full_name", "phone", "sex", "birth_year", "displacement_status"),
    "plan": (
        "summary",
        "jobs_planned_female",
        "jobs_planned_male",
        "requested_amount",
        "co_contribution",
        "budget_lines",
    ),
    "consent": ("text_version",),
}


def merge(current: Sections, patch: Sections) -> Sections:
    """PATCH semantics: given sections are merged field by field; a given list replaces the old."""
    merged = {name: dict(fields) for name, fields in current.items()}
    for name, fields in patch.items():
        merged.setdefault(name, {}).update(fields)
    return merged


def ensure_editable(status: Status) -> None:
    if status is not Status.draft:
        raise Conflict(f"only a draft can be changed; this application is {status.value}")


def ensure_call_accepts(call_status: str, call: CallSpec, now: datetime) -> None:
    if call_status != "open" or not call.opens_at <= now < call.closes_at:
        raise Conflict("the call is not open for applications")


def submission_problems(
    sections: Sections, has_national_id: bool, call: CallSpec, now: datetime
) -> list[dict[str, Any]]:
    """Every missing or inconsistent field at once, each with its location."""
    problems: list[dict[str, Any]] = []

    def fail(loc: list[str | int], msg: str) -> None:
        problems.append({"loc": ["body", *loc], "msg": msg})

    for section, names in REQUIRED.items():
        given = sections.get(section, {})
        for name in names:
            if given.get(name) in (None, "", []):
                fail([section, name], "required before submitting")
    if not has_national_id:
        fail(["owner", "national_id"], "required before submitting")
    if sections.get("consent", {}).get("data_processing") is not True:
        fail(["consent", "data_processing"], "consent to data processing is required")
    _check_plan(sections.get("plan", {}), call, fail)
    _check_years(sections, now, fail)
    return problems


def precision_problems(plan: dict[str, Any], call: CallSpec) -> list[dict[str, Any]]:
    """Each amount of the plan with more decimal places than the call's currency has: checked
    when a draft is saved (the call is known there, not in the body's model) and at submission."""
    exponent = exponent_of(call.currency, call.currency_exponent)
    problems: list[dict[str, Any]] = []
    for name in ("requested_amount", "co_contribution"):
        value = plan.get(name)
        if value is not None and not fits_exponent(Decimal(value), exponent):
            msg = f"{call.currency} amounts have at most {exponent} decimal places"
            problems.append({"loc": ["body", "plan", name], "msg": msg})
    for index, line in enumerate(plan.get("budget_lines") or []):
        if not fits_exponent(Decimal(line["unit_cost"]), exponent):
            loc = ["body", "plan", "budget_lines", index, "unit_cost"]
            problems.append({"loc": loc, "msg": f"at most {exponent} decimal places"})
    return problems


def _check_plan(plan: dict[str, Any], call: CallSpec, fail: Any) -> None:
    for problem in precision_problems(plan, call):
        fail(problem["loc"][1:], problem["msg"])
    amounts = {name: plan.get(name) for name in ("requested_amount", "co_contribution")}
    lines = plan.get("budget_lines") or []
    requested, co_contribution = amounts["requested_amount"], amounts["co_contribution"]
    if lines and requested is not None and co_contribution is not None:
        total = sum((Decimal(line["unit_cost"]) * line["quantity"] for line in lines), Decimal(0))
        expected = Decimal(requested) + Decimal(co_contribution)
        if total != expected:
            fail(
                ["plan", "budget_lines"],
                f"budget lines sum to {total}; they must equal requested amount + co-contribution ({expected})",
            )


def _check_years(sections: Sections, now: datetime, fail: Any) -> None:
    founded = sections.get("business", {}).get("founded_year")
    if founded is not None and founded > now.year:
        fail(["business", "founded_year"], "cannot be in the future")
    born = sections.get("owner", {}).get("birth_year")
    if born is not None and not now.year - 100 <= born <= now.year - 15:
        fail(["owner", "birth_year"], "the owner must be between 15 and 100 years old")


def ensure_withdrawable(status: Status) -> None:
    if status in DECIDED or status is Status.withdrawn:
        raise Conflict(f"an application that is {status.value} cannot be withdrawn")
