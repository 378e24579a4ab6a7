"""What a reviewer is shown of an application: blind by construction.

Built from `application.submitted`, which carries no name, national id, phone, business name,
registration number or address in the first place; ages and years are given instead of the
birth and founding years.
"""

from __future__ import annotations

from typing import Any

from shared.events.applications import ApplicationSubmittedV1


def reviewer_view(submitted: ApplicationSubmittedV1) -> dict[str, Any]:
    year = submitted.submitted_at.year
    business, owner, plan = submitted.business, submitted.owner, submitted.plan
    return {
        "sector": business.sector,
        "governorate": business.governorate,
        "district": business.district,
        "years_operating": max(year - business.founded_year, 0),
        "employees_female": business.employees_female,
        "employees_male": business.employees_male,
        "employees": business.employees_female + business.employees_male,
        "owner": {"sex": owner.sex, "age": year - owner.birth_year, "displacement_status": owner.displacement_status},
        "plan": {
            "summary": plan.summary,
            "jobs_planned_female": plan.jobs_planned_female,
            "jobs_planned_male": plan.jobs_planned_male,
            "jobs_planned": plan.jobs_planned_female + plan.jobs_planned_male,
            "requested_amount": str(plan.requested_amount),
            "co_contribution": str(plan.co_contribution),
            "budget_lines": [
                {"item": line.item, "quantity": line.quantity, "unit_cost": str(line.unit_cost)}
                for line in plan.budget_lines
            ],
        },
        "currency": submitted.currency,
    }
