"""The grantee's status page shows payout details staff recorded for their grant (the account
masked to its last 4 characters) with a button to confirm them: a form POST with the CSRF token
and the details' id, in English and Arabic (right to left). The gateway, applications and
disbursement run as real HTTP servers; the grant comes from disbursement's own inbox path.

The browser part (headless Chromium through Playwright, as `test_web_form.py`) is skipped when
Chromium is not installed; the HTML part always runs.
"""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.web.i18n import catalogue
from services.disbursement.main import create_app as create_disbursement
from shared.auth import Role
from shared.migrate import upgrade
from tests.support.apps import bearer, settings_for
from tests.support.disbursement import IBAN, Disbursement
from tests.support.gateway import PASSWORD, unique_email
from tests.support.natsd import NatsServer
from tests.support.servers import ServerThread
from tests.support.web import WebStack, csrf_of, web_stack

pytestmark = [pytest.mark.timeout(180)]


@pytest.fixture
def world(own_nats: NatsServer, tmp_path: Path) -> Iterator[tuple[WebStack, Disbursement]]:
    numbers = itertools.count()
    disbursement_db = f"sqlite:///{tmp_path / 'disbursement.db'}"
    upgrade("disbursement", disbursement_db)
    app = create_disbursement(settings_for("disbursement", database_url=disbursement_db, nats_url=own_nats.url))
    with (
        ServerThread(app) as server,
        httpx.Client(base_url=server.url, timeout=15) as client,
        web_stack(
            lambda: f"sqlite:///{tmp_path / f'web{next(numbers)}.db'}",
            own_nats.url,
            tmp_path,
            disbursement_url=server.url,
        ) as web,
    ):
        yield web, Disbursement(app=app, client=client, database_url=disbursement_db)


def grantee_with_pending_payee(web: WebStack, disbursement: Disbursement) -> tuple[httpx.Client, dict[str, Any]]:
    """A signed-in grantee (a web session) whose grant has payout details an officer recorded."""
    email = unique_email("grantee")
    registered = httpx.post(
        f"{web.gateway_url}/api/v1/auth/register", json={"email": email, "password": PASSWORD, "full_name": "Layla"}
    )
    assert registered.status_code == 201, registered.text
    grant = disbursement.award(disbursement.open_call(), uuid.UUID(registered.json()["id"]))
    recorded = disbursement.set_payee(grant["id"], bearer(Role.officer), confirm=False)
    assert recorded.json()["status"] == "pending"
    session = httpx.Client(base_url=web.gateway_url, timeout=15)
    token = csrf_of(session.get("/signin").text)
    signed_in = session.post("/signin", data={"csrf": token, "email": email, "password": PASSWORD, "next": "/status"})
    assert signed_in.status_code == 303, signed_in.text
    return session, grant


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_grantee_confirms_payout_details_staff_recorded(world: tuple[WebStack, Disbursement], lang: str) -> None:
    web, disbursement = world
    words = catalogue(lang)
    session, grant = grantee_with_pending_payee(web, disbursement)
    try:
        page = session.get(f"/status?lang={lang}").text
        assert f'lang="{lang}" dir="{"rtl" if lang == "ar" else "ltr"}"' in page
        assert words["payee.title"] in page and words["payee.confirm"] in page
        assert "****" + IBAN[-4:] in page and IBAN not in page  # masked: the last 4 only
        form = re.search(r'<form method="post" action="(/status/grants/[^"]+/payee/confirm)">(.*?)</form>', page, re.S)
        assert form is not None, page
        payee_id = re.search(r'name="payee_id" value="([^"]+)"', form.group(2))
        assert payee_id is not None
        csrf = csrf_of(page)

        assert session.post(form.group(1), data={"payee_id": payee_id.group(1)}).status_code == 403  # no CSRF token
        wrong = session.post(form.group(1), data={"csrf": csrf, "payee_id": str(uuid.uuid4())})
        assert wrong.status_code == 409 and words["payee.error.payee_changed"] in wrong.text
        done = session.post(form.group(1), data={"csrf": csrf, "payee_id": payee_id.group(1)})
        assert done.status_code == 303 and done.headers["location"].startswith("/status")

        shown = disbursement.grant(grant["id"])["payee"]
        assert shown["status"] == "confirmed" and shown["confirmed_by"] == grant_applicant(disbursement, grant)
        assert words["payee.title"] not in session.get(f"/status?lang={lang}").text  # nothing waits now
    finally:
        session.close()


def grant_applicant(disbursement: Disbursement, grant: dict[str, Any]) -> str:
    rows = disbursement.sql("SELECT applicant_id FROM grants")
    ids = {str(uuid.UUID(str(r[0]))) for r in rows}
    assert len(ids) == 1
    return ids.pop()


def test_in_a_browser_the_confirmation_is_labelled_right_to_left_and_fits_a_phone(
    world: tuple[WebStack, Disbursement],
) -> None:
    chromium_module = pytest.importorskip("tests.e2e.test_web_form")
    import shutil

    if not Path(chromium_module.CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.skip(f"Chromium not found at {chromium_module.CHROMIUM}: apt-get install chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    web, disbursement = world
    session, _ = grantee_with_pending_payee(web, disbursement)
    words = catalogue("ar")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_module.CHROMIUM, args=chromium_module.ARGS)
        try:
            context = browser.new_context(locale="ar-IQ", viewport=chromium_module.PHONE, is_mobile=True)
            context.add_cookies(
                [{"name": c.name, "value": c.value or "", "url": web.gateway_url} for c in session.cookies.jar]
            )
            page = context.new_page()
            page.goto(f"{web.gateway_url}/status?lang=ar")
            chromium_module.rtl(page)
            chromium_module.fits_a_phone(page)
            page.get_by_role("button", name=words["payee.confirm"], exact=True).click()
            page.wait_for_url("**/status**")
            assert words["payee.title"] not in page.inner_text("main")
        finally:
            browser.close()
