"""The staff's monitoring dashboard in a real browser, on the whole stack as processes.

One grant goes the way people take it, through the gateway: applied for, reviewed, awarded, a
monitor's visit sees three jobs and verifies the first milestone, the grant's payee is set, its
first tranche requested, approved and settled by the reference finance consumer. Two grants of
earlier months come in as disbursement publishes them on NATS (created, tranches paid), and a
follow-up visit to one of them is recorded through the gateway. Then an officer signs in, in
headless Chromium, and reads the dashboard in English and in Arabic, on a desktop and on a
360-pixel phone; the screenshots go to `var/screenshots/dashboard-*.png`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from gateway.web.i18n import catalogue
from shared.events.disbursement import GrantCreatedV1, TrancheFacts, TranchePaidV1
from shared.events.envelope import EventData, make_event
from tests.e2e.test_disbursement_e2e import IBAN, PASSWORD, awarded_application, eventually, user
from tests.e2e.test_web_form import PHONE, SCREENSHOTS, chromium  # noqa: F401  (the browser fixture)
from tests.support.disbursement import finance_sim_process
from tests.support.jetstream import publish
from tests.support.stack import Stack, running_stack

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(420)]
DESKTOP = {"width": 1280, "height": 900}
MILESTONES = ("agreement_signed", "assets_purchased", "jobs_filled")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("stack")) as running:
        yield running


def job(sex: str, displacement: str) -> dict[str, Any]:
    return {"sex": sex, "age_group": "25-34", "displacement_status": displacement, "start_date": "2026-01-15"}


def disbursement_event(stack: Stack, subject: str, aggregate: uuid.UUID, data: EventData) -> None:
    """An event published as the disbursement service publishes it (its stream, a message id)."""
    event = make_event(source="/edf/disbursement", subject=str(aggregate), data=data)
    with ThreadPoolExecutor(1) as thread:  # its own event loop, whatever runs in this thread (Playwright's)
        thread.submit(publish, stack.nats_url, subject, event.model_dump_json().encode(), str(event.id)).result()


def earlier_grant(
    stack: Stack, call_id: str, amount: str, created_days_ago: int, paid_days_ago: list[int]
) -> uuid.UUID:
    """A grant created `created_days_ago` (tranches 50 / 30 / 20 %), tranche n paid `paid_days_ago[n]`."""
    grant_id, now, total = uuid.uuid4(), datetime.now(UTC), Decimal(amount)
    shares = (Decimal("0.5"), Decimal("0.3"), Decimal("0.2"))
    tranches = [
        TrancheFacts(
            tranche_id=uuid.uuid4(), seq=seq, amount=(total * share).quantize(Decimal("0.01")), milestone=milestone
        )
        for seq, (milestone, share) in enumerate(zip(MILESTONES, shares, strict=True), 1)
    ]
    disbursement_event(
        stack,
        "edf.disbursement.grant.created.v1",
        grant_id,
        GrantCreatedV1(
            grant_id=grant_id,
            application_id=uuid.uuid4(),
            call_id=uuid.UUID(call_id),
            amount=total,
            currency="USD",
            tranches=tranches,
            created_at=now - timedelta(days=created_days_ago),
        ),
    )
    for tranche, days in zip(tranches, paid_days_ago, strict=False):
        disbursement_event(
            stack,
            "edf.disbursement.tranche.paid.v1",
            tranche.tranche_id,
            TranchePaidV1(
                tranche_id=tranche.tranche_id,
                grant_id=grant_id,
                amount=tranche.amount,
                currency="USD",
                paid_at=now - timedelta(days=days),
            ),
        )
    return grant_id


def month(days_ago: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days_ago)).strftime("%Y-%m")


@pytest.fixture(scope="module")
def monitored_call(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The call, its figures once monitoring has them all, and an officer's email."""
    api = f"{stack.gateway}/api/v1"
    admin = stack.token()
    applicant, finance, monitor = (user(stack, admin, role) for role in ("applicant", "finance", "monitor"))
    with finance_sim_process(stack.nats_url, tmp_path_factory.mktemp("sim") / "finance-sim.db"):
        awarded = awarded_application(stack, api, admin, applicant)
        call, officer = awarded["call"], awarded["officer"]
        grant = eventually(lambda: next(iter(httpx.get(f"{api}/grants", headers=applicant).json()["items"]), None))
        visit = eventually(
            lambda: (
                r
                if (
                    r := httpx.post(
                        f"{api}/grants/{grant['id']}/visits",
                        headers=monitor,
                        json={
                            "visited_on": datetime.now(UTC).date().isoformat(),
                            "kind": "verification",
                            "findings": "Cooler bought.",
                            "milestones_verified": [MILESTONES[0]],
                            "jobs": [job("female", "idp"), job("male", "idp"), job("female", "returnee")],
                        },
                    )
                ).status_code
                == 201
                else None
            )
        )
        assert visit.json()["milestones_verified"] == [MILESTONES[0]]
        first = grant["tranches"][0]
        eventually(
            lambda: (
                httpx.get(f"{api}/grants/{grant['id']}", headers=officer).json()["tranches"][0]["status"] == "eligible"
            )
        )
        payee = httpx.put(
            f"{api}/grants/{grant['id']}/payee",
            headers=applicant,
            json={"method": "bank", "account_holder": "Layla Hassan", "iban": IBAN},
        )
        assert payee.status_code == 200, payee.text
        assert httpx.post(f"{api}/tranches/{first['id']}/request", headers=officer).status_code == 200
        assert httpx.post(f"{api}/tranches/{first['id']}/approve", headers=finance).status_code == 200
        eventually(
            lambda: httpx.get(f"{api}/grants/{grant['id']}", headers=officer).json()["tranches"][0]["status"] == "paid",
            60,
        )
    # Earlier months: 5,000 then 3,000 of a 10,000 grant; 3,000 of a 6,000 grant.
    older = earlier_grant(stack, call["id"], "10000.00", 150, [120, 40])
    earlier_grant(stack, call["id"], "6000.00", 100, [75])
    follow_up = eventually(
        lambda: (
            r
            if (
                r := httpx.post(
                    f"{api}/grants/{older}/visits",
                    headers=monitor,
                    json={
                        "visited_on": datetime.now(UTC).date().isoformat(),
                        "kind": "follow_up",
                        "findings": "Two new hires.",
                        "jobs": [job("male", "host"), job("female", "host")],
                    },
                )
            ).status_code
            == 201
            else None
        )
    )
    assert len(follow_up.json()["jobs"]) == 2

    def complete() -> dict[str, Any] | None:
        figures = httpx.get(f"{api}/calls/{call['id']}/dashboard", headers=officer).json()
        months = figures.get("disbursed_by_month") or [{}]
        return figures if months[-1].get("cumulative") == "20000.00" and figures["visits"]["recorded"] == 2 else None

    figures = eventually(complete, 60)
    officer_email = httpx.get(f"{api}/auth/me", headers=officer).json()["email"]
    return {"call": call, "figures": figures, "officer": officer_email}


def sign_in(browser: Browser, stack: Stack, email: str, lang: str, **context: Any) -> Page:
    page = browser.new_context(locale="ar-IQ" if lang == "ar" else "en-GB", **context).new_page()
    page.goto(f"{stack.gateway}/dashboard?lang={lang}")  # not signed in: to the sign-in page and back
    page.wait_for_url("**/signin?next=*")
    page.fill("#signin-email", email)
    page.fill("#signin-password", PASSWORD)
    code = stack.totp.next_code(email)  # staff enrolled in the second factor when they first signed in
    if code is not None:
        page.fill("#signin-totp", code)
    page.get_by_role("button", name=catalogue(lang)["account.signin_button"], exact=True).click()
    page.wait_for_url("**/dashboard")
    return page


def read_dashboard(page: Page, call: dict[str, Any], lang: str) -> None:
    words = catalogue(lang)
    page.get_by_role("link", name=call["title"][lang]).click()
    page.wait_for_url(f"**/dashboard/{call['id']}")
    assert page.get_attribute("html", "dir") == ("rtl" if lang == "ar" else "ltr")
    assert page.locator("svg.chart").count() == 4
    for chart_id, key in (
        ("chart-jobs", "dash.chart.jobs"),
        ("chart-visits", "dash.chart.visits"),
        ("chart-grants", "dash.chart.grants"),
    ):
        assert page.locator(f"#{chart_id} > title").text_content() == words[key]
        assert page.locator(f"#{chart_id}").get_attribute("direction") == ("rtl" if lang == "ar" else "ltr")
        assert page.locator(f"#{chart_id}").bounding_box()["height"] > 100  # type: ignore[index]
    summary = page.locator("#summary").inner_text()
    for figure in ("34,000.00", "20,000.00", "4,000.00"):  # awarded, disbursed, per job (5 jobs)
        assert figure in summary, summary
    jobs = page.locator("#table-jobs tbody tr").all_inner_texts()
    assert [row.split()[-2:] for row in jobs] == [["1", "1"], ["1", "0"], ["1", "1"]]  # idp, returnee, host
    visits = page.locator("#table-visits tr.total").inner_text().split()[-3:]
    assert visits == ["2", "6", "1"]  # due (the new grant's next two), overdue (the earlier ones'), done
    money = page.locator("#table-money tbody tr").all_inner_texts()
    assert money[0].split()[:2] == [month(120), "5,000.00"] and money[-1].split()[:3] == [
        month(0),
        "9,000.00",
        "20,000.00",
    ]
    assert words["dash.monitoring_unavailable"] not in page.inner_text("main")


def shoot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_an_officer_reads_the_dashboard(
    chromium: Browser,  # noqa: F811
    stack: Stack,
    monitored_call: dict[str, Any],
    lang: str,
) -> None:
    page = sign_in(chromium, stack, monitored_call["officer"], lang, viewport=DESKTOP)
    assert page.get_by_role("link", name=catalogue(lang)["nav.dashboard"]).get_attribute("aria-current") == "page"
    shoot(page, f"dashboard-calls-{lang}")
    read_dashboard(page, monitored_call["call"], lang)
    shoot(page, f"dashboard-{lang}")


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_dashboard_fits_a_360_pixel_phone(
    chromium: Browser,  # noqa: F811
    stack: Stack,
    monitored_call: dict[str, Any],
    lang: str,
) -> None:
    page = sign_in(
        chromium,
        stack,
        monitored_call["officer"],
        lang,
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    read_dashboard(page, monitored_call["call"], lang)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the dashboard scrolls sideways: {width} px wide"
    chart = page.locator("#chart-money").bounding_box()
    assert chart is not None and chart["width"] > 280  # the charts use the phone's width
    shoot(page, f"dashboard-{lang}-phone")
