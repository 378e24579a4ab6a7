"""The web pages' pure parts: catalogues, language choice, messages, numbers, form reading,
the signed session."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from starlette.datastructures import FormData
from starlette.requests import Request

from gateway.web import forms
from gateway.web.i18n import LANGUAGES, Translator, accepted, catalogue, negotiate
from gateway.web.pages import safe_next
from gateway.web.session import SessionCodec, WebSession, derive_key
from shared.iraq import GOVERNORATES
from shared.jwk import generate_signing_key

TEMPLATES = Path(forms.__file__).parent / "templates"
SOURCES = [*TEMPLATES.glob("*.html"), *Path(forms.__file__).parent.glob("*.py")]
STATUSES = (
    "draft",
    "submitted",
    "eligible",
    "ineligible",
    "under_review",
    "scored",
    "awarded",
    "rejected",
    "waitlisted",
    "withdrawn",
)
REASONS = (
    "governorate_not_eligible",
    "sector_not_eligible",
    "too_few_years_operating",
    "employees_out_of_range",
    "amount_out_of_range",
    "co_contribution_too_low",
    "too_few_jobs_planned",
    "not_registered",
    "duplicate_national_id",
    "duplicate_phone",
    "duplicate_registration",
    "prior_beneficiary",
)


def placeholders(text: str) -> set[str]:
    return set(re.findall(r"\{(\w*)\}", text))


def test_both_catalogues_say_the_same_things() -> None:
    english, arabic = catalogue("en"), catalogue("ar")
    assert english.keys() == arabic.keys()
    for key, text in english.items():
        assert text.strip() and arabic[key].strip(), key
        assert placeholders(text) == placeholders(arabic[key]), key


def test_every_key_the_pages_use_is_in_the_catalogue() -> None:
    prefixes = {key.split(".")[0] for key in catalogue("en")}
    literal = re.compile(rf"""["']((?:{"|".join(prefixes)})\.[\w.]*\w)["']""")  # whole keys, not "step." ~ step
    used = {key for path in SOURCES for key in literal.findall(path.read_text()) if not key.endswith(".html")}
    assert {"error.no_call", "form.save_continue", "error.file_too_large"} <= used
    used |= {f"step.{s}" for s in forms.STEPS} | {f"lead.{s}" for s in forms.STEPS if s != "consent"}
    used |= {f"field.{step}.{spec.name}" for step, specs in forms.FIELDS.items() for spec in specs}
    used |= {f"field.line.{spec.name}" for spec in forms.LINE_FIELDS}
    used |= {key for specs in forms.FIELDS.values() for spec in specs for _, key in spec.options}
    used |= {f"state.{s}" for s in STATUSES} | {f"explain.{s}" for s in STATUSES}
    used |= {f"reason.{r}" for r in REASONS} | {f"kind.{k}" for k in forms.DOCUMENT_KINDS}
    used |= {f"governorate.{code}" for code in GOVERNORATES} | {f"error.title.{s}" for s in (403, 404, 429, 502)}
    for lang in LANGUAGES:
        assert used - catalogue(lang).keys() == set(), lang


@pytest.mark.parametrize(
    ("msg", "english", "arabic"),
    [
        ("Field required", "This field is required.", "هذا الحقل مطلوب."),
        (
            "Input should be a valid integer, unable to parse string as an integer",
            "Enter a whole number, for example 12.",
            "أدخل عدداً صحيحاً، مثل 12.",
        ),
        ("Input should be greater than or equal to 1900", "Must be at least 1900.", "يجب ألا تقل القيمة عن 1900."),
        (
            "Value error, must be 4 to 32 letters or digits",
            "Enter 4 to 32 letters or digits.",
            "أدخل من 4 إلى 32 حرفاً أو رقماً.",
        ),
        (
            "the owner must be between 15 and 100 years old",
            "The owner must be between 15 and 100 years old.",
            "يجب أن يكون عمر صاحب المشروع بين 15 و100 سنة.",
        ),
        (
            "budget lines sum to 21000.00; they must equal requested amount + co-contribution (20000.00)",
            "The budget lines add up to 21000.00; they must equal the amount requested plus your own contribution "
            "(20000.00).",
            None,
        ),
    ],
)
def test_api_messages_are_said_again_for_people(msg: str, english: str, arabic: str | None) -> None:
    assert Translator("en").error(msg, "Year") == english
    said = Translator("ar").error(msg, "السنة")
    if arabic is not None:
        assert said == arabic
    assert re.search(r"[\u0600-\u06ff]", said)


def test_an_unknown_message_is_kept_in_english_and_generic_in_arabic() -> None:
    assert Translator("en").error("something new went wrong", "Sector") == "Something new went wrong"
    assert Translator("ar").error("something new went wrong", "القطاع") == "قيمة غير صالحة في «القطاع»."


def request(query: str = "", accept: str | None = None, cookie: str | None = None) -> Request:
    headers = [(b"accept-language", accept.encode())] if accept else []
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    return Request({"type": "http", "method": "GET", "path": "/", "query_string": query.encode(), "headers": headers})


def test_the_language_comes_from_the_query_then_the_cookie_then_the_browser() -> None:
    assert accepted("fr-CA, ar-IQ;q=0.9, en;q=0.8, de;q=0") == ["fr", "ar", "en"]
    assert negotiate(request("lang=ar", "en")) == ("ar", True)
    assert negotiate(request("lang=xx", "ar")) == ("ar", False)
    assert negotiate(request("", "en", "edf_lang=ar")) == ("ar", False)
    assert negotiate(request("", "fr, en;q=0.5")) == ("en", False)
    assert negotiate(request("", "fr, *")) == ("en", False)
    assert negotiate(request()) == ("en", False)
    assert Translator("ar").dir == "rtl" and Translator("en").dir == "ltr"


@pytest.mark.parametrize(
    ("typed", "sent"),
    [
        ("٢٠١٦", "2016"),
        ("۱۲۳", "123"),
        ("١٢٬٥٠٠٫٧٥", "12500.75"),
        ("18,000.50", "18000.50"),
        (" 3 000 ", "3000"),
        ("abc", "abc"),
    ],
)
def test_numbers_are_made_ascii(typed: str, sent: str) -> None:
    assert forms.ascii_number(typed) == sent


def test_a_plan_drops_empty_budget_rows_and_knows_where_each_line_came_from() -> None:
    typed = FormData(
        [
            ("summary", " A cooler "),
            ("requested_amount", "١٨٠٠٠"),
            ("co_contribution", ""),
            ("lines-0-item", ""),
            ("lines-0-quantity", ""),
            ("lines-0-unit_cost", ""),
            ("lines-1-item", "Cooler"),
            ("lines-1-quantity", "١"),
            ("lines-1-unit_cost", "18,000"),
            ("lines-2-item", "Pump"),
            ("lines-2-quantity", "x"),
            ("lines-2-unit_cost", ""),
        ]
    )
    shown, section = forms.read_section("plan", typed)
    assert section["summary"] == "A cooler" and section["requested_amount"] == "18000"
    assert section["co_contribution"] is None and section["jobs_planned_female"] is None
    assert section["budget_lines"] == [
        {"item": "Cooler", "quantity": "1", "unit_cost": "18000"},
        {"item": "Pump", "quantity": "x", "unit_cost": None},
    ]
    assert shown.lines[1]["quantity"] == "١"  # shown again as typed
    assert shown.row_of("lines-1-quantity") == "lines-2-quantity"
    assert len(forms.pad_lines(shown.lines, extra=1)) == 4


def test_an_empty_national_id_keeps_the_stored_one_and_consent_records_its_version() -> None:
    _, owner = forms.read_section("owner", FormData([("full_name", "Layla"), ("national_id", " ")]))
    assert "national_id" not in owner and owner["full_name"] == "Layla"
    _, consent = forms.read_section("consent", FormData([("data_processing", "yes")]))
    assert consent == {"data_processing": True, "text_version": forms.CONSENT_VERSION}


def test_api_error_locations_point_at_fields() -> None:
    assert forms.field_key(["body", "business", "founded_year"]) == ("business", "founded_year")
    assert forms.field_key(["body", "plan", "budget_lines", 2, "unit_cost"]) == ("plan", "lines-2-unit_cost")
    assert forms.field_key(["body", "plan", "budget_lines"]) == ("plan", "budget_lines")
    assert forms.field_key(["body", "consent", "text_version"]) == ("consent", "data_processing")
    assert forms.field_key(["body", "call_id"]) is None


def test_the_session_is_signed_and_expires() -> None:
    codec = SessionCodec(derive_key(generate_signing_key()), max_age_seconds=60, secure=False)
    session = WebSession(csrf="token")
    session.sign_in("jwt", "user-id", "layla@example.org", "ليلى")
    cookie = codec.dumps(session)
    loaded = codec.loads(cookie)
    assert loaded is not None and loaded.token == "jwt" and loaded.name == "ليلى" and loaded.csrf == session.csrf
    assert session.csrf != "token"  # a new CSRF token on signing in
    payload, _, signature = cookie.partition(".")
    assert codec.loads(payload[:-2] + "xx." + signature) is None
    assert SessionCodec(derive_key(generate_signing_key()), 60, False).loads(cookie) is None
    assert codec.loads("garbage") is None and codec.loads(None) is None
    session.issued = int(time.time()) - 61
    assert codec.loads(codec.dumps(session)) is None
    assert session.csrf_ok(session.csrf) and not session.csrf_ok("nope") and not session.csrf_ok(None)


@pytest.mark.parametrize(
    ("target", "went"),
    [
        ("/apply/NIN24", "/apply/NIN24"),
        ("https://evil.example", "/"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("/status\r\nSet-Cookie: x", "/"),
        (None, "/"),
    ],
)
def test_after_signing_in_only_local_pages(target: object, went: str) -> None:
    assert safe_next(target) == went
