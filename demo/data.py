"""Synthetic applicants and the demo call: pure and seeded (the same seed, count and year give
the same people, businesses, plans, scores and visits). No I/O here.

About one applicant in eight breaks one eligibility rule on purpose (another governorate, a sector
the call does not fund, a business too young, too small or too big, a co-contribution too low, no
registration), so that screening has something to find. Everything else is valid by the
application rules: budget lines add up to the requested amount plus the co-contribution,
phones are Iraqi mobiles, national ids, phones and registration numbers are unique.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from faker import Faker
from schwifty import IBAN

from demo.districts import CODE_PREFIX, DEFAULT_MIX, DISPLACEMENT_MIX, DISTRICTS
from demo.vocabulary import BANKS, CALL_SECTORS, FAMILY, GIVEN_FEMALE, GIVEN_MALE, SECTORS, WALLET_PROVIDERS, Pair
from shared.iraq import GOVERNORATES

GRANT_MIN, GRANT_MAX = 5000, 25000
MIN_CO_CONTRIBUTION_PERCENT = 10
CONSENT_VERSION = "2026-01"
INELIGIBLE_SHARE = 0.12
INELIGIBLE_REASONS = (
    "governorate_not_eligible",
    "sector_not_eligible",
    "too_few_years_operating",
    "employees_out_of_range",
    "co_contribution_too_low",
    "not_registered",
)
AGE_GROUPS = (("15-24", 0.34), ("25-34", 0.34), ("35-44", 0.18), ("45-64", 0.14))
MOBILE_PREFIXES = ("77", "78", "79", "75")  # Asiacell, Zain, Zain, Korek
RUBRIC: list[dict[str, Any]] = [
    {"key": "jobs", "label": {"en": "Jobs created", "ar": "فرص العمل"}, "weight": "0.35", "max_score": 5},
    {
        "key": "viability",
        "label": {"en": "Business viability", "ar": "جدوى المشروع"},
        "weight": "0.35",
        "max_score": 10,
    },
    {
        "key": "inclusion",
        "label": {"en": "Women, displaced people and returnees", "ar": "النساء والنازحون والعائدون"},
        "weight": "0.15",
        "max_score": 5,
    },
    {"key": "value", "label": {"en": "Value for money", "ar": "القيمة مقابل المال"}, "weight": "0.15", "max_score": 5},
]


@dataclass(frozen=True)
class Applicant:
    index: int
    email: str
    full_name: str
    locale: str  # the language the applicant fills the form in: "ar" or "en"
    sections: dict[str, dict[str, Any]]  # business, owner, plan, consent: a complete application
    expected: str | None  # the eligibility rule broken on purpose (a screening reason code), or None
    quality: float  # 0..1: how good the plan is, which the officers' scores follow
    contested: bool  # the reviewers will disagree (a third reviewer is brought in)
    document: bool  # uploads a registration certificate with the application
    payee: dict[str, Any]

    def application(self, call_id: str) -> dict[str, Any]:
        return {"call_id": call_id, **{name: dict(fields) for name, fields in self.sections.items()}}


def budget_for(applicants: int) -> Decimal:
    """Enough for roughly a third of the applicants: the committee has to choose."""
    return Decimal(max(100_000, math.ceil(applicants * 5000 / 50_000) * 50_000))


def call_body(governorate: str, code: str, applicants: int, now: datetime) -> dict[str, Any]:
    name = GOVERNORATES[governorate]
    return {
        "code": code,
        "title": {
            "en": f"{name['en']} small business recovery grants {now.year} (demo)",
            "ar": f"منح تعافي المشاريع الصغيرة في {name['ar']} {now.year} (تجريبية)",
        },
        "description": {
            "en": f"Grants of {GRANT_MIN:,} to {GRANT_MAX:,} USD for registered small businesses in {name['en']} "
            "that create jobs, with at least 10% of the project paid by the owner.",
            "ar": f"منح من {GRANT_MIN:,} إلى {GRANT_MAX:,} دولار للمشاريع الصغيرة المسجلة في {name['ar']} "
            "التي توفر فرص عمل، على أن يساهم صاحب المشروع بـ10% من الكلفة على الأقل.",
        },
        "currency": "USD",
        "budget": f"{budget_for(applicants)}.00",
        "grant_min": f"{GRANT_MIN}.00",
        "grant_max": f"{GRANT_MAX}.00",
        "opens_at": (now - timedelta(days=1)).isoformat(),
        "closes_at": (now + timedelta(days=45)).isoformat(),
        "eligibility": {
            "governorates": [governorate],
            "sectors": list(CALL_SECTORS),
            "min_years_operating": 1,
            "min_employees": 2,
            "max_employees": 50,
            "min_co_contribution_percent": str(MIN_CO_CONTRIBUTION_PERCENT),
            "require_registration": True,
            "min_jobs_planned": 1,
            "exclude_prior_beneficiaries": False,
        },
        "rubric": RUBRIC,
        "reviewers_per_application": 2,
        "committee_quorum": 2,  # two committee members agree on each decision (demo/intake.py STAFF)
        "divergence_threshold": "20",
        "tranche_plan": [
            {"percent": "50", "milestone": "agreement_signed"},
            {"percent": "30", "milestone": "assets_purchased"},
            {"percent": "20", "milestone": "jobs_filled"},
        ],
        "quotas": {"women_owned_min_share": "0.3"},
        "monitoring_schedule_days": [90, 180, 365],
    }


def code_prefix(governorate: str, year: int) -> str:
    return f"{CODE_PREFIX.get(governorate, governorate[-2:])}{year % 100:02d}D"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower())


def _weighted(rng: random.Random, pairs: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def displacement(rng: random.Random, governorate: str) -> str:
    idp, returnee, host = DISPLACEMENT_MIX.get(governorate, DEFAULT_MIX)
    return _weighted(rng, (("idp", idp), ("returnee", returnee), ("host", host)))


class Generator:
    """Applicants for a call in `governorate`, reproducible from `seed`."""

    def __init__(self, seed: int, governorate: str = "IQ-NI", year: int | None = None) -> None:
        if governorate not in DISTRICTS:
            raise ValueError(f"no districts for {governorate}: choose one of {', '.join(sorted(DISTRICTS))}")
        self.seed, self.governorate = seed, governorate
        self.year = year if year is not None else datetime.now(UTC).year
        self.rng = random.Random(seed)  # noqa: S311  (synthetic data, reproducible on purpose)
        self.arabic = Faker("ar_AA")
        self.arabic.seed_instance(seed)
        self._used: set[str] = set()

    def _unique(self, make: Any) -> str:
        while (value := make()) in self._used:
            pass
        self._used.add(value)
        return str(value)

    def applicants(self, count: int, tag: str) -> list[Applicant]:
        """`tag` (e.g. the call code) keeps the sign-in e-mails apart from earlier runs'."""
        return [self.applicant(i, tag) for i in range(1, count + 1)]

    def applicant(self, index: int, tag: str) -> Applicant:
        rng = self.rng
        expected = rng.choice(INELIGIBLE_REASONS) if rng.random() < INELIGIBLE_SHARE else None
        governorate = self.governorate
        if expected == "governorate_not_eligible":
            governorate = rng.choice(sorted(g for g in DISTRICTS if g != self.governorate))
        district = rng.choice(DISTRICTS[governorate])
        sex = "female" if rng.random() < 0.36 else "male"
        given: Pair = rng.choice(GIVEN_FEMALE if sex == "female" else GIVEN_MALE)
        father, family = rng.choice(GIVEN_MALE), rng.choice(FAMILY)
        locale = "ar" if rng.random() < 0.6 else "en"
        if locale == "ar":  # as typed in Arabic: Faker's Arabic given names, an Iraqi family name
            first = self.arabic.first_name_female() if sex == "female" else self.arabic.first_name_male()
            full_name = f"{first} {self.arabic.first_name_male()} {family[1]}"
        else:
            full_name = f"{given[0]} {father[0]} {family[0]}"
        age = rng.randint(20, 62)
        owner: dict[str, Any] = {
            "full_name": full_name,
            "national_id": self._unique(lambda: str(rng.randrange(10**11, 10**12))),
            "phone": self._unique(lambda: f"+964{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**8):08d}"),
            "sex": sex,
            "birth_year": self.year - age,
            "displacement_status": displacement(rng, governorate),
        }
        sector_key = "retail" if expected == "sector_not_eligible" else rng.choice(CALL_SECTORS)
        business = self._business(sector_key, governorate, district, family, locale, sex, age, expected)
        plan, quality = self._plan(sector_key, district, locale, sex, owner["displacement_status"], expected)
        payee = self._payee(owner["full_name"], owner["phone"])
        person = f"{_slug(given[0])}.{_slug(family[0])}" if locale == "en" else _slug(family[0])
        email = f"{person}.{index:04d}.{tag.lower()}@example.org"
        return Applicant(
            index=index,
            email=email,
            full_name=full_name,
            locale=locale,
            sections={
                "business": business,
                "owner": owner,
                "plan": plan,
                "consent": {"data_processing": True, "text_version": CONSENT_VERSION},
            },
            expected=expected,
            quality=quality,
            contested=rng.random() < 0.04,
            document=rng.random() < 0.1,
            payee=payee,
        )

    def _business(
        self,
        sector_key: str,
        governorate: str,
        district: Any,
        family: Pair,
        locale: str,
        sex: str,
        age: int,
        expected: str | None,
    ) -> dict[str, Any]:
        rng = self.rng
        sector = SECTORS[sector_key]
        template = rng.choice(sector.businesses)[0 if locale == "en" else 1]
        name = template.format(
            family=family[0 if locale == "en" else 1], district=district.en if locale == "en" else district.ar
        )
        years = 0 if expected == "too_few_years_operating" else min(age - 18, 1 + int(rng.expovariate(1 / 7)))
        total = min(50, 2 + int(rng.expovariate(1 / 6)))
        if expected == "employees_out_of_range":
            total = rng.choice((1, rng.randint(55, 90)))
        female = round(total * (rng.uniform(0.4, 0.9) if sex == "female" else rng.uniform(0.0, 0.35)))
        mahalla, zuqaq, house = rng.randint(100, 899), rng.randint(1, 60), rng.randint(1, 120)
        address = (
            f"Mahalla {mahalla}, Zuqaq {zuqaq}, House {house}, {district.en}"
            if locale == "en"
            else f"محلة {mahalla}، زقاق {zuqaq}، دار {house}، {district.ar}"
        )
        business: dict[str, Any] = {
            "name": name,
            "sector": sector_key,
            "governorate": governorate,
            "district": district.en,
            "address": address,
            "founded_year": self.year - max(years, 0),
            "employees_female": female,
            "employees_male": total - female,
        }
        if expected != "not_registered":
            prefix = governorate[-2:]
            business["registration_number"] = self._unique(
                lambda: f"{prefix}-{business['founded_year']}-{rng.randrange(10**5):05d}"
            )
        return business

    def _plan(
        self, sector_key: str, district: Any, locale: str, sex: str, displaced: str, expected: str | None
    ) -> tuple[dict[str, Any], float]:
        rng = self.rng
        requested = int(rng.triangular(GRANT_MIN, GRANT_MAX, 12000) // 500 * 500)
        jobs = max(1, round(requested / rng.uniform(3000, 7500)))
        female_jobs = round(jobs * (rng.uniform(0.4, 1.0) if sex == "female" else rng.uniform(0.0, 0.4)))
        share = rng.uniform(0.02, 0.07) if expected == "co_contribution_too_low" else rng.uniform(0.11, 0.35)
        co = max(100, math.ceil(requested * share / (1 - share) / 100) * 100)
        if expected == "co_contribution_too_low":
            co = max(100, co // 100 * 100)
        sector = SECTORS[sector_key]
        lines = self._budget_lines(sector, requested + co, locale)
        goal = rng.choice(sector.goals)
        item = lines[0]["item"]
        summary = (
            f"Buy {item.lower()} and more to {goal[0]} in {district.en}, hiring {jobs} "
            f"{'person' if jobs == 1 else 'people'}."
            if locale == "en"
            else f"شراء {item} وغيرها من أجل {goal[1]} في {district.ar}، وتوظيف {jobs} من الأشخاص."
        )
        plan = {
            "summary": summary,
            "jobs_planned_female": female_jobs,
            "jobs_planned_male": jobs - female_jobs,
            "requested_amount": f"{requested}.00",
            "co_contribution": f"{co}.00",
            "budget_lines": lines,
        }
        quality = min(1.0, max(0.0, rng.betavariate(2.5, 2.0) + (0.05 if displaced != "host" else 0.0)))
        return plan, quality

    def _budget_lines(self, sector: Any, total: int, locale: str) -> list[dict[str, Any]]:
        """1 to 4 lines of whole dollars that add up to `total` exactly (the last takes the rest)."""
        rng = self.rng
        items = rng.sample(sector.items, k=min(len(sector.items), rng.randint(1, 4)))
        weights = [rng.uniform(1, 3) for _ in items]
        lines: list[dict[str, Any]] = []
        left = total
        for item, weight in zip(items[:-1], weights[:-1], strict=True):
            share = int(total * 0.8 * weight / sum(weights))
            quantity = max(1, min(item.max_quantity, int(share // rng.uniform(item.low, item.high))))
            unit = share // quantity
            if unit < 1:
                continue
            lines.append(
                {"item": item.en if locale == "en" else item.ar, "quantity": quantity, "unit_cost": f"{unit}.00"}
            )
            left -= unit * quantity
        last = items[-1]
        lines.append({"item": last.en if locale == "en" else last.ar, "quantity": 1, "unit_cost": f"{left}.00"})
        return lines

    def _payee(self, holder: str, phone: str) -> dict[str, Any]:
        rng = self.rng
        if rng.random() < 0.6:
            return {
                "method": "mobile_money",
                "account_holder": holder,
                "wallet_phone": phone,
                "wallet_provider": rng.choice(WALLET_PROVIDERS),
            }
        bank, bank_name = rng.choice(BANKS)
        iban = IBAN.generate(
            "IQ", bank_code=f"{bank}{rng.randrange(1000):03d}", account_code=f"{rng.randrange(10**12):012d}"
        )
        return {"method": "bank", "account_holder": holder, "iban": iban.compact, "bank_name": bank_name}


def review_scores(applicant: Applicant, officer: int, seed: int) -> dict[str, int]:
    """An officer's scores: what the plan deserves, seen with a little noise by each officer."""
    rng = random.Random(f"{seed}:{applicant.index}:{officer}")  # noqa: S311
    plan = applicant.sections["plan"]
    requested = Decimal(plan["requested_amount"])
    jobs = plan["jobs_planned_female"] + plan["jobs_planned_male"]
    owner = applicant.sections["owner"]
    co = Decimal(plan["co_contribution"])
    deserved = {
        "jobs": min(1.0, jobs / float(requested / 10_000) / 3.5),
        "viability": rng.choice((0.1, 0.95)) if applicant.contested else applicant.quality,
        "inclusion": 0.3 + 0.4 * (owner["sex"] == "female") + 0.3 * (owner["displacement_status"] != "host"),
        "value": min(1.0, float(co / (requested + co)) * 2.8),
    }
    scores = {}
    for criterion in RUBRIC:
        top = criterion["max_score"]
        noise = 0.0 if applicant.contested and criterion["key"] == "viability" else rng.gauss(0, 0.5)
        scores[criterion["key"]] = max(0, min(top, round(deserved[criterion["key"]] * top + noise)))
    return scores


def visit_jobs(applicant: Applicant, visited_on: date, seed: int) -> list[dict[str, Any]]:
    """The new jobs a monitor sees at the verification visit: most of those planned, by now."""
    rng = random.Random(f"{seed}:jobs:{applicant.index}")  # noqa: S311
    plan, governorate = applicant.sections["plan"], applicant.sections["business"]["governorate"]
    owners = applicant.sections["owner"]["displacement_status"]  # people hire mostly people like them
    jobs = []
    for sex, planned in (("female", plan["jobs_planned_female"]), ("male", plan["jobs_planned_male"])):
        for _ in range(planned):
            if rng.random() < 0.8:
                jobs.append(
                    {
                        "sex": sex,
                        "age_group": _weighted(rng, AGE_GROUPS),
                        "displacement_status": owners if rng.random() < 0.6 else displacement(rng, governorate),
                        "start_date": (visited_on - timedelta(days=rng.randint(0, 30))).isoformat(),
                        "still_employed": True,
                    }
                )
    return jobs


def visit_location(applicant: Applicant, seed: int) -> dict[str, str]:
    """Where the monitor stood: near the district's centre (within a few kilometres)."""
    rng = random.Random(f"{seed}:where:{applicant.index}")  # noqa: S311
    district = next(
        d
        for d in DISTRICTS[applicant.sections["business"]["governorate"]]
        if d.en == applicant.sections["business"]["district"]
    )
    return {
        "lat": f"{district.lat + rng.uniform(-0.03, 0.03):.5f}",
        "lon": f"{district.lon + rng.uniform(-0.03, 0.03):.5f}",
    }


PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
