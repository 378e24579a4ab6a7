"""The demo's synthetic data (demo.data) is valid by the services' own rules: the application
models and submission rules, screening (eligible unless a rule is broken on purpose, and then for
that reason only), the account, payee, review and visit rules; unique identities; reproducible."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal

import phonenumbers
import pytest

from demo.data import (
    GRANT_MAX,
    GRANT_MIN,
    RUBRIC,
    Applicant,
    Generator,
    budget_for,
    call_body,
    review_scores,
    visit_jobs,
    visit_location,
)
from demo.districts import CODE_PREFIX, DISPLACEMENT_MIX, DISTRICTS
from demo.intake import STAFF, derived_password
from gateway.domain import check_password
from gateway.models import RegisterIn, UserCreateIn
from services.applications.domain.intake import submission_problems
from services.applications.domain.screening import Matches, screen
from services.applications.models.api import ApplicationCreate
from services.disbursement.domain.payee import normalise_payee
from services.disbursement.models.api import PayeeIn
from services.monitoring.models.api import VisitIn
from services.scoring.domain.scores import rubric_of, score_problems
from shared.events.calls import CallSpec
from shared.iraq import GOVERNORATES

NOW = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
CALL_ID = "0b8f5a52-4b7e-4a43-9d6a-3f6d2c1e7a10"


@pytest.fixture(scope="module")
def people() -> list[Applicant]:
    return Generator(seed=7, governorate="IQ-NI", year=NOW.year).applicants(400, "NIN26D1")


@pytest.fixture(scope="module")
def call() -> CallSpec:
    return CallSpec.model_validate(call_body("IQ-NI", "NIN26D1", 400, NOW))


def test_the_call_is_valid_and_its_budget_makes_the_committee_choose(call: CallSpec) -> None:
    assert sum(c.weight for c in call.rubric) == 1
    assert sum(t.percent for t in call.tranche_plan) == 100
    assert call.eligibility.governorates == ["IQ-NI"]
    assert budget_for(20) == Decimal(100_000) and budget_for(300) == Decimal(1_500_000)
    assert call.budget < 400 * Decimal(GRANT_MIN + GRANT_MAX) / 2


def test_every_application_is_complete_by_the_submission_rules(people: list[Applicant], call: CallSpec) -> None:
    for person in people:
        body = ApplicationCreate.model_validate(person.application(CALL_ID))  # the API's model, extra="forbid"
        sections = body.model_dump(mode="json", exclude_none=True, exclude={"call_id"})
        national_id = sections["owner"].pop("national_id")
        assert national_id, person.index
        assert submission_problems(sections, True, call, NOW) == [], (person.index, sections)


def test_screening_finds_only_the_rule_breakers_each_for_its_reason(people: list[Applicant], call: CallSpec) -> None:
    for person in people:
        sections = ApplicationCreate.model_validate(person.application(CALL_ID)).model_dump(mode="json")
        result = screen(sections, call, Matches(), NOW.year)
        assert result.reasons == ([person.expected] if person.expected else []), (person.index, result)
    expected = Counter(p.expected for p in people)
    assert 0.05 < 1 - expected[None] / len(people) < 0.2
    assert len(expected) == 7  # every kind of rule breaker appears in 400


def test_amounts_co_contributions_and_budget_lines(people: list[Applicant]) -> None:
    for person in people:
        plan = person.sections["plan"]
        requested, co = Decimal(plan["requested_amount"]), Decimal(plan["co_contribution"])
        assert GRANT_MIN <= requested <= GRANT_MAX
        assert sum(Decimal(line["unit_cost"]) * line["quantity"] for line in plan["budget_lines"]) == requested + co
        assert all(Decimal(line["unit_cost"]) > 0 for line in plan["budget_lines"])
        if person.expected != "co_contribution_too_low":
            assert co * 100 >= 10 * (requested + co)
        assert plan["jobs_planned_female"] + plan["jobs_planned_male"] >= 1


def test_identities_are_unique_and_phones_are_iraqi_mobiles(people: list[Applicant]) -> None:
    owners = [p.sections["owner"] for p in people]
    for field in ("national_id", "phone"):
        assert len({o[field] for o in owners}) == len(people), field
    registrations = [p.sections["business"].get("registration_number") for p in people]
    assert len({r for r in registrations if r}) == sum(1 for r in registrations if r)
    assert len({p.email for p in people}) == len(people)
    for owner in owners:
        number = phonenumbers.parse(owner["phone"])
        assert phonenumbers.is_valid_number(number) and phonenumbers.region_code_for_number(number) == "IQ"
        assert phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE
        assert len(owner["national_id"]) == 12 and owner["national_id"].isdigit()


def test_districts_belong_to_their_governorates(people: list[Applicant]) -> None:
    assert set(DISTRICTS) <= set(GOVERNORATES) and set(CODE_PREFIX) <= set(GOVERNORATES)
    assert set(DISPLACEMENT_MIX) <= set(GOVERNORATES)
    for person in people:
        business = person.sections["business"]
        assert business["district"] in {d.en for d in DISTRICTS[business["governorate"]]}, business
        if person.expected != "governorate_not_eligible":
            assert business["governorate"] == "IQ-NI"
    for districts in DISTRICTS.values():
        assert len({d.en for d in districts}) == len(districts)
        assert all(29.0 <= d.lat <= 37.4 and 38.7 <= d.lon <= 48.8 for d in districts)


def test_names_in_both_languages_and_accounts_the_gateway_accepts(people: list[Applicant]) -> None:
    locales = Counter(p.locale for p in people)
    assert locales["ar"] > 100 and locales["en"] > 100
    arabic = [p.full_name for p in people if p.locale == "ar"]
    assert all(any("\u0600" <= c <= "\u06ff" for c in name) for name in arabic)
    assert all(p.full_name.isascii() for p in people if p.locale == "en")
    assert 0.25 < sum(p.sections["owner"]["sex"] == "female" for p in people) / len(people) < 0.5
    for person in people[:50]:
        RegisterIn(
            email=person.email,
            password=derived_password("x" * 20, "applicants"),
            full_name=person.full_name,
            phone=person.sections["owner"]["phone"],
            locale=person.locale,
        )


def test_the_same_seed_makes_the_same_people_and_another_seed_others() -> None:
    def run(seed: int) -> list[tuple[object, ...]]:
        return [
            (p.email, p.full_name, p.sections, p.payee, p.quality)
            for p in Generator(seed, "IQ-NI", 2026).applicants(30, "NIN26D1")
        ]

    assert run(3) == run(3)
    assert run(3) != run(4)
    other = Generator(3, "IQ-AN", 2026).applicants(5, "ANB26D1")
    assert {p.sections["business"]["governorate"] for p in other if not p.expected} == {"IQ-AN"}
    with pytest.raises(ValueError, match="no districts"):
        Generator(1, "IQ-MU")


def test_payees_scores_and_visits_pass_the_services_rules(people: list[Applicant]) -> None:
    rubric = rubric_of(RUBRIC)
    methods: Counter[str] = Counter()
    for person in people:
        payee = PayeeIn.model_validate(person.payee).model_dump(exclude_none=True)
        kept, problems = normalise_payee({**{k: None for k in PayeeIn.model_fields}, **payee})
        assert problems == [], (person.index, problems)
        methods[kept["method"]] += 1
        for officer in range(6):
            assert score_problems(rubric, review_scores(person, officer, 7), complete=True) == []
        visit = VisitIn.model_validate(
            {
                "visited_on": "2026-05-01",
                "kind": "verification",
                "location": visit_location(person, 7),
                "jobs": visit_jobs(person, date(2026, 5, 1), 7),
            }
        )
        planned = person.sections["plan"]
        assert len(visit.jobs) <= planned["jobs_planned_female"] + planned["jobs_planned_male"]
    assert methods["bank"] > 50 and methods["mobile_money"] > 50
    assert review_scores(people[0], 1, 7) == review_scores(people[0], 1, 7)


def test_the_demo_staff_and_their_derived_passwords() -> None:
    password = derived_password("the admin password", "staff")
    assert check_password(password) == password
    assert password != derived_password("the admin password", "applicants")
    assert password != derived_password("another admin password", "staff")
    roles = Counter(role for role, _ in STAFF)
    assert roles["officer"] >= 2 and roles["finance"] >= 2 and roles["committee"] >= 2 and roles["monitor"] >= 1
    for role, name in STAFF:
        UserCreateIn(email=f"demo.{role}1@edf.local", password=password, full_name=name, role=role)
