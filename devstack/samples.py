"""Valid example data with unique codes, so that tests, the bench and the chaos run can run in any
order (a call that the sample application is eligible for, and that application)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any


def unique_code(prefix: str = "T") -> str:
    return (prefix + uuid.uuid4().hex[:10]).upper()[:12]


def call_body(**overrides: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    body: dict[str, Any] = {
        "code": unique_code(),
        "title": {"en": "Ninawa small business grants", "ar": "منح المشاريع الصغيرة في نينوى"},
        "description": {"en": "Grants that create jobs.", "ar": "منح لخلق فرص العمل."},
        "currency": "USD",
        "budget": "500000.00",
        "grant_min": "5000.00",
        "grant_max": "30000.00",
        "opens_at": (now - timedelta(days=1)).isoformat(),
        "closes_at": (now + timedelta(days=60)).isoformat(),
        "eligibility": {
            "governorates": ["IQ-NI"],
            "sectors": ["agriculture", "manufacturing"],
            "min_years_operating": 1,
            "min_employees": 2,
            "max_employees": 50,
            "min_co_contribution_percent": "10",
            "require_registration": True,
            "min_jobs_planned": 1,
            "exclude_prior_beneficiaries": False,
        },
        "rubric": [
            {"key": "jobs", "label": {"en": "Jobs", "ar": "الوظائف"}, "weight": "0.4", "max_score": 5},
            {"key": "viability", "label": {"en": "Viability", "ar": "الجدوى"}, "weight": "0.6", "max_score": 10},
        ],
        "reviewers_per_application": 2,
        "divergence_threshold": "20",
        "tranche_plan": [
            {"percent": "50", "milestone": "agreement_signed"},
            {"percent": "30", "milestone": "assets_purchased"},
            {"percent": "20", "milestone": "jobs_filled"},
        ],
        "quotas": {"women_owned_min_share": "0.3"},
        "monitoring_schedule_days": [90, 180, 365],
        # One committee member decides alone in the tests, the bench and the chaos run that are
        # not about the quorum (a call's default is 2: tests/api/test_scoring_quorum.py).
        "committee_quorum": 1,
    }
    body.update(overrides)
    return body


def application_body(call_id: str, **sections: dict[str, Any]) -> dict[str, Any]:
    """A complete application that the sample call finds eligible; `sections` override parts."""
    body: dict[str, Any] = {
        "call_id": call_id,
        "business": {
            "name": "Nineveh Dairy",
            "registration_number": "NIN-" + uuid.uuid4().hex[:8],
            "sector": "agriculture",
            "governorate": "IQ-NI",
            "district": "Mosul",
            "address": "Al-Zuhur street",
            "founded_year": 2016,
            "employees_female": 2,
            "employees_male": 5,
        },
        "owner": {
            "full_name": "Layla Hassan",
            "national_id": str(uuid.uuid4().int)[:12],
            "phone": "+96477" + str(uuid.uuid4().int)[:8],
            "sex": "female",
            "birth_year": 1988,
            "displacement_status": "returnee",
        },
        "plan": {
            "summary": "A second milk cooler and two new jobs.",
            "jobs_planned_female": 2,
            "jobs_planned_male": 2,
            "requested_amount": "18000.00",
            "co_contribution": "3000.00",
            "budget_lines": [{"item": "Milk cooler", "quantity": 1, "unit_cost": "21000.00"}],
        },
        "consent": {"data_processing": True, "text_version": "2026-01"},
    }
    for name, fields in sections.items():
        body[name] = {**body[name], **fields}
    return body
