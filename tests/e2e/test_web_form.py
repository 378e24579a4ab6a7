"""The applicants' web form in a real browser: headless Chromium (Debian's `chromium` package)
driven by Playwright, against the gateway and the applications service as real HTTP servers.

Fields are found by their labels, in the page's language (from the pages' own catalogue), so
that every label is known to be tied to its input. Screenshots of each step go to
`var/screenshots/<scenario>-<step>.png`.

Needs `pip install playwright` (the Python package only: `playwright install` is not used) and
`apt-get install chromium`; skipped, saying which is missing, otherwise. `EDF_CHROMIUM` names
another Chromium binary.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from gateway.web.i18n import catalogue
from tests.support.apps import REPO
from tests.support.gateway import PASSWORD, unique_email
from tests.support.natsd import NatsServer
from tests.support.web import SMALL_PDF, WebStack, web_stack

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(180)]

CHROMIUM = os.environ.get("EDF_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = REPO / "var" / "screenshots"
PHONE = {"width": 360, "height": 740}


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="Playwright is not installed: .venv/bin/pip install playwright"
    )
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}: apt-get install chromium (or set EDF_CHROMIUM)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def stack(own_nats: NatsServer, tmp_path: Path) -> Iterator[WebStack]:
    """On SQLite whatever the backends: the browser is what these tests are about."""
    numbers = itertools.count()
    with web_stack(lambda: f"sqlite:///{tmp_path / f'web{next(numbers)}.db'}", own_nats.url, tmp_path) as web:
        yield web


@pytest.fixture
def pdf(tmp_path: Path) -> Path:
    path = tmp_path / "registration-certificate.pdf"
    path.write_bytes(SMALL_PDF)
    return path


class Form:
    """Drives the form in one language, checking every page on the way and saving screenshots."""

    def __init__(
        self,
        page: Page,
        web: WebStack,
        lang: str,
        scenario: str,
        check: Callable[[Page], None],
        pdf: Path | None = None,
    ) -> None:
        self.page, self.web, self.lang, self.scenario, self.check = page, web, lang, scenario, check
        self.pdf = pdf or Path("missing.pdf")
        self.words = catalogue(lang)
        self.code = web.call["code"]

    def label(self, key: str, exact: bool = True) -> Any:
        return self.page.get_by_label(self.words[key], exact=exact)

    def button(self, key: str) -> Any:
        return self.page.get_by_role("button", name=self.words[key], exact=True)

    def shot(self, step: str) -> None:
        self.page.wait_for_load_state("load")
        self.check(self.page)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{self.scenario}-{step}.png"), full_page=True)

    def fill(self, values: dict[str, str]) -> None:
        for key, value in values.items():
            if key.startswith("#"):
                self.page.fill(key, value)
            elif key.endswith(("sector", "governorate", "sex", "displacement_status", "kind")):
                self.label(key).select_option(value)
            else:
                self.label(key).fill(value)

    def sign_up(self) -> None:
        self.page.goto(f"{self.web.gateway_url}/?lang={self.lang}")
        self.shot("01-calls")
        self.page.get_by_role("link", name=self.words["call.apply"]).first.click()
        self.page.wait_for_url(f"**/apply/{self.code}")
        self.shot("02-account")
        self.fill({"field.account.full_name": "Layla Hassan"})
        self.page.fill("#signup-email", unique_email("browser"))
        self.page.fill("#signup-password", PASSWORD)
        self.button("account.signup_button").click()
        self.page.wait_for_url(f"**/apply/{self.code}/business")

    def save(self, next_step: str) -> None:
        self.page.get_by_role("button", name=self.words["form.save_continue"], exact=True).last.click()
        self.page.wait_for_url(f"**/apply/{self.code}/{next_step}")

    def apply(self, digits: Callable[[str], str]) -> str:
        """Every step after signing up; numbers typed through `digits`. Returns the reference."""
        self.fill(
            {
                "field.business.name": "Nineveh Dairy",
                "field.business.registration_number": "NIN-" + uuid.uuid4().hex[:6],
                "field.business.sector": "agriculture",
                "field.business.governorate": "IQ-NI",
                "field.business.district": "Mosul",
                "field.business.address": "Al-Zuhur street",
                "field.business.founded_year": digits("2016"),
                "field.business.employees_female": digits("2"),
                "field.business.employees_male": digits("5"),
            }
        )
        self.shot("03-business")
        self.save("owner")
        self.fill(
            {
                "field.owner.full_name": "Layla Hassan",
                "field.owner.national_id": digits(str(uuid.uuid4().int)[:12]),
                "field.owner.phone": digits("0770 123 4567"),
                "field.owner.sex": "female",
                "field.owner.birth_year": digits("1988"),
                "field.owner.displacement_status": "returnee",
            }
        )
        self.shot("04-owner")
        self.save("plan")
        self.fill(
            {
                "field.plan.summary": "A second milk cooler and two new jobs.",
                "field.plan.jobs_planned_female": digits("2"),
                "field.plan.jobs_planned_male": digits("2"),
                "#f-requested_amount": digits("18000"),
                "#f-co_contribution": digits("3000"),
                "#f-lines-0-item": "Milk cooler",
                "#f-lines-0-quantity": digits("1"),
                "#f-lines-0-unit_cost": digits("20000"),
            }
        )
        self.button("form.add_line").click()  # a fourth row, without JavaScript: the page comes back
        self.page.wait_for_selector("#f-lines-3-item")
        assert self.page.input_value("#f-lines-0-item") == "Milk cooler"
        self.fill(
            {"#f-lines-3-item": "Pump", "#f-lines-3-quantity": digits("1"), "#f-lines-3-unit_cost": digits("1000")}
        )
        self.shot("05-plan")
        self.save("documents")
        return self.finish()

    def finish(self) -> str:
        self.fill({"field.documents.kind": "registration"})
        self.label("field.documents.file").set_input_files(str(self.pdf))
        self.button("documents.upload").click()
        self.page.wait_for_selector(f"text={self.pdf.name}")
        self.shot("06-documents")
        self.page.get_by_role("link", name=self.words["form.continue"], exact=True).click()
        self.page.wait_for_url(f"**/apply/{self.code}/consent")
        self.label("field.consent.data_processing").check()
        self.shot("07-consent")
        self.save("review")
        self.shot("08-review")
        self.button("review.submit").click()
        self.page.wait_for_url(f"**/apply/{self.code}/done**")
        reference = self.page.locator("#reference")
        assert reference.is_visible()
        text = reference.inner_text().strip()
        assert re.fullmatch(rf"EDF-{self.code}-\d{{6}}", text), text
        self.shot("09-reference")
        return text

    def status(self, reference: str) -> None:
        self.page.get_by_role("link", name=self.words["nav.status"]).first.click()
        deadline = time.monotonic() + 20
        while self.words["state.eligible"] not in self.page.inner_text("main"):
            assert time.monotonic() < deadline, "the application was not screened in time"
            time.sleep(0.2)
            self.page.reload()
        assert reference in self.page.inner_text("main")
        self.shot("10-status")


def labelled(page: Page) -> None:
    """Every visible field has a `<label for>`, and the page does not scroll sideways."""
    unlabelled = page.evaluate("""() => [...document.querySelectorAll('input, select, textarea')]
        .filter(e => e.type !== 'hidden' && !e.closest('[aria-hidden=true]') && e.offsetParent !== null)
        .filter(e => !e.id || !document.querySelector(`label[for="${e.id}"]`)).map(e => e.name)""")
    assert unlabelled == [], f"fields without a label: {unlabelled}"


def rtl(page: Page) -> None:
    labelled(page)
    assert page.get_attribute("html", "dir") == "rtl" and page.get_attribute("html", "lang") == "ar"


def fits_a_phone(page: Page) -> None:
    labelled(page)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} scrolls sideways: {width} px wide"


ARABIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
EASTERN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def run(
    browser: Browser,
    web: WebStack,
    pdf: Path,
    lang: str,
    scenario: str,
    check: Callable[[Page], None],
    digits: Callable[[str], str] = str,
    **context: Any,
) -> Form:
    page = browser.new_context(locale="ar-IQ" if lang == "ar" else "en-GB", **context).new_page()
    form = Form(page, web, lang, scenario, check, pdf)
    form.sign_up()
    reference = form.apply(digits)
    form.status(reference)
    return form


def test_english_application_end_to_end(chromium: Browser, stack: WebStack, pdf: Path) -> None:
    form = run(chromium, stack, pdf, "en", "english", labelled, viewport={"width": 1024, "height": 800})
    assert form.page.get_attribute("html", "dir") == "ltr"


def test_arabic_application_right_to_left_with_arabic_indic_digits(
    chromium: Browser, stack: WebStack, pdf: Path
) -> None:
    def arabic_digits(text: str) -> str:  # both Arabic-Indic sets, as phones in Iraq type them
        return text.translate(ARABIC_DIGITS if len(text) % 2 else EASTERN_DIGITS)

    form = run(chromium, stack, pdf, "ar", "arabic", rtl, arabic_digits, viewport={"width": 1024, "height": 800})
    assert form.words["state.eligible"] in form.page.inner_text("main")


def test_on_a_360_pixel_phone_nothing_scrolls_sideways(chromium: Browser, stack: WebStack, pdf: Path) -> None:
    run(
        chromium,
        stack,
        pdf,
        "ar",
        "phone",
        fits_a_phone,
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )


def test_a_wrong_value_is_shown_next_to_its_field_and_the_rest_is_kept(chromium: Browser, stack: WebStack) -> None:
    page = chromium.new_context(locale="en-GB", viewport=PHONE).new_page()
    form = Form(page, stack, "en", "validation", fits_a_phone)
    form.sign_up()
    form.fill(
        {
            "field.business.name": "Nineveh Dairy",
            "field.business.district": "Mosul",
            "field.business.founded_year": "last year",
            "field.business.employees_female": "٢",
        }
    )
    form.page.get_by_role("button", name=form.words["form.save_continue"], exact=True).last.click()
    error = page.locator("#f-founded_year-error")
    error.wait_for()
    assert error.inner_text() == form.words["error.integer"]
    field = form.label("field.business.founded_year")
    assert field.get_attribute("aria-invalid") == "true"
    assert "f-founded_year-error" in (field.get_attribute("aria-describedby") or "")
    assert form.label("field.business.name").input_value() == "Nineveh Dairy"
    assert form.label("field.business.district").input_value() == "Mosul"
    assert form.label("field.business.employees_female").input_value() == "٢"
    assert form.label("field.business.founded_year").input_value() == "last year"
    form.shot("03-business-error")
