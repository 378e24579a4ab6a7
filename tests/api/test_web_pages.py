"""The applicants' web pages over plain HTTP (no browser): the gateway and the applications
service as real servers, the pages driven as a browser without JavaScript would."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.apps import wait_until
from tests.support.gateway import PASSWORD, unique_email
from tests.support.natsd import NatsServer
from tests.support.web import SMALL_PDF, WebStack, csrf_of, web_stack

Stack = Callable[..., WebStack]
NOWHERE = "nats://127.0.0.1:1"  # screening is not needed here: the service keeps retrying NATS meanwhile
ERROR = re.compile(r'<p class="error" id="([^"]+)-error">([^<]*)</p>')


@pytest.fixture
def stack(make_database_url: Callable[[], str], tmp_path: Path) -> Iterator[Stack]:
    """`stack(nats_url=..., **gateway_settings)` starts the applications service and a gateway."""
    from contextlib import ExitStack

    with ExitStack() as stacks:

        def start(nats_url: str = NOWHERE, **overrides: Any) -> WebStack:
            return stacks.enter_context(web_stack(make_database_url, nats_url, tmp_path, **overrides))

        yield start


def browser(stack: WebStack, **headers: str) -> httpx.Client:
    return httpx.Client(base_url=stack.gateway_url, timeout=15, headers=headers)


def sign_up(client: httpx.Client, next_url: str = "/status", email: str | None = None) -> str:
    token = csrf_of(client.get("/signin").text)
    response = client.post(
        "/signup",
        data={
            "csrf": token,
            "next": next_url,
            "full_name": "Layla Hassan",
            "email": email or unique_email("web"),
            "password": PASSWORD,
        },
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == next_url
    return csrf_of(client.get(next_url, follow_redirects=True).text)


def field_errors(html: str) -> dict[str, str]:
    return {field: message for field, message in ERROR.findall(html)}


def test_pages_carry_security_headers_and_a_session_cookie(stack: Stack) -> None:
    web = stack()
    with browser(web) as client:
        response = client.get("/")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        assert web.call["title"]["en"] in response.text
        csp = response.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert response.headers["x-frame-options"] == "DENY"
        assert client.get("/apply/NO%0D%0ASet-Cookie:x=1/business").status_code == 404
        assert client.get(f"/apply/{web.call['code']}/nostep").status_code == 404
        assert response.headers["referrer-policy"] == "same-origin"
        cookie = response.headers["set-cookie"].lower()
        assert cookie.startswith("edf_session=") and "httponly" in cookie and "samesite=lax" in cookie
        assert "secure" not in cookie  # development: plain HTTP on localhost
        assert not re.search(r'(src|href)="(https?:)?//', response.text), "nothing may come from another site"
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in response.text
        css = client.get("/static/edf.css")
        assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")


def test_session_cookie_is_secure_in_production(stack: Stack) -> None:
    web = stack(env="production", nats_user="gateway", nats_password="NoServerHere1")  # production needs a NATS user
    with browser(web) as client:
        cookie = client.get("/").headers["set-cookie"].lower()
        assert "secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie


def test_language_from_the_query_the_cookie_or_the_browser(stack: Stack) -> None:
    web = stack()
    with browser(web, **{"Accept-Language": "fr-FR, ar;q=0.8, en;q=0.5"}) as client:
        page = client.get("/").text
        assert '<html lang="ar" dir="rtl">' in page
        assert web.call["title"]["ar"] in page
        assert 'hreflang="en"' in page  # the switch to the other language
    with browser(web, **{"Accept-Language": "en-GB,en;q=0.9"}) as client:
        assert '<html lang="en" dir="ltr">' in client.get("/").text
        switched = client.get("/?lang=ar")
        assert '<html lang="ar" dir="rtl">' in switched.text
        assert "edf_lang=ar" in switched.headers["set-cookie"]
        assert '<html lang="ar" dir="rtl">' in client.get("/status", follow_redirects=True).text  # remembered
        assert '<html lang="en" dir="ltr">' in client.get("/?lang=en").text
    with browser(web) as client:  # no preference at all
        assert '<html lang="en" dir="ltr">' in client.get("/").text


def test_unknown_call_code_is_a_404_page(stack: Stack) -> None:
    web = stack()
    with browser(web) as client:
        response = client.get("/apply/NOSUCHCALL?lang=ar")
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")
        assert "لا توجد دعوة مفتوحة بهذا الرمز" in response.text
        assert response.headers["x-frame-options"] == "DENY"


def test_posts_without_the_sessions_csrf_token_are_refused(stack: Stack) -> None:
    web = stack()
    code = web.call["code"]
    with browser(web) as client, browser(web) as other:
        token = csrf_of(client.get("/signin").text)
        foreign = csrf_of(other.get("/signin").text)
        account = {"full_name": "Layla", "email": unique_email(), "password": PASSWORD, "next": "/status"}
        assert client.post("/signup", data=account).status_code == 403
        assert client.post("/signup", data={**account, "csrf": "forged"}).status_code == 403
        assert client.post("/signup", data={**account, "csrf": foreign}).status_code == 403
        assert httpx.post(f"{web.gateway_url}/signup", data={**account, "csrf": token}).status_code == 403  # no cookie
        token = sign_up(client, f"/apply/{code}/business")
        assert client.post(f"/apply/{code}/business", data={"name": "Dairy"}).status_code == 403
        assert client.post(f"/apply/{code}/submit", data={"csrf": foreign}).status_code == 403
        assert client.post("/signout", data={}).status_code == 403
        assert client.post(f"/apply/{code}/business", data={"csrf": token, "name": "Dairy"}).status_code == 303


def test_sign_in_sign_up_and_submit_are_rate_limited_per_client(stack: Stack) -> None:
    web = stack(web_rate_limit=3)
    with browser(web) as client:
        token = csrf_of(client.get("/signin").text)
        wrong = {"csrf": token, "email": unique_email(), "password": "not the password", "next": "/"}
        for _ in range(3):
            assert client.post("/signin", data=wrong).status_code == 401
        refused = client.post("/signin", data=wrong)
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
        bad = {"csrf": token, "email": "not an email", "password": "x", "full_name": "", "next": "/"}
        for _ in range(2):
            assert client.post("/signup", data=bad).status_code == 422
        token = sign_up(client, f"/apply/{web.call['code']}/business")  # the third sign-up
        assert client.post("/signup", data={**bad, "csrf": token}).status_code == 429
        code = web.call["code"]
        assert client.post(f"/apply/{code}/business", data={"csrf": token, "name": "Dairy"}).status_code == 303
        for _ in range(3):
            assert client.post(f"/apply/{code}/submit", data={"csrf": token}).status_code == 422  # incomplete
        assert client.post(f"/apply/{code}/submit", data={"csrf": token}).status_code == 429


def test_signing_in_goes_back_to_the_form_and_only_to_this_site(stack: Stack) -> None:
    web = stack()
    email = unique_email()
    with browser(web) as client:
        sign_up(client, email=email)
        client.post("/signout", data={"csrf": csrf_of(client.get("/status").text)})
        assert client.get("/status").status_code == 303  # signed out: to the sign-in page
        token = csrf_of(client.get("/signin").text)
        answer = client.post(
            "/signin", data={"csrf": token, "email": email, "password": PASSWORD, "next": "https://evil.example/steal"}
        )
        assert answer.status_code == 303 and answer.headers["location"] == "/"
        assert client.get("/status").status_code == 200


def test_a_tampered_session_cookie_counts_as_signed_out(stack: Stack) -> None:
    web = stack()
    with browser(web) as client:
        sign_up(client)
        cookie = client.cookies["edf_session"]
        payload, _, signature = cookie.partition(".")
        client.cookies.clear()
        client.cookies.set("edf_session", payload + "." + signature[::-1])
        response = client.get("/status")
        assert response.status_code == 303 and response.headers["location"].startswith("/signin")


def test_validation_errors_are_shown_next_to_their_fields_in_arabic(stack: Stack) -> None:
    web = stack()
    code = web.call["code"]
    with browser(web) as client:
        client.get("/?lang=ar")
        token = sign_up(client, f"/apply/{code}/business")
        typed = {
            "csrf": token,
            "name": "ألبان نينوى",
            "district": "الموصل",
            "founded_year": "السنة الماضية",
            "employees_female": "٢",
            "employees_male": "۵",
        }
        response = client.post(f"/apply/{code}/business", data=typed)
        assert response.status_code == 422
        errors = field_errors(response.text)
        assert errors == {"f-founded_year": "أدخل عدداً صحيحاً، مثل 12."}
        assert 'aria-describedby="f-founded_year-hint f-founded_year-error"' in response.text
        assert 'value="ألبان نينوى"' in response.text and 'value="الموصل"' in response.text  # the rest is kept
        assert 'value="٢"' in response.text
        typed["founded_year"] = "٢٠١٦"
        assert client.post(f"/apply/{code}/business", data=typed).headers["location"] == f"/apply/{code}/owner"
        saved = client.get(f"/apply/{code}/business").text
        assert 'value="2016"' in saved and 'value="5"' in saved  # Arabic-Indic digits reached the API as numbers


def test_whole_application_over_plain_http(stack: Stack, own_nats: NatsServer) -> None:
    """Every step without JavaScript: add a budget line, upload, submit, reference, status."""
    web = stack(nats_url=own_nats.url)
    code = web.call["code"]
    with browser(web) as client:
        assert client.get(f"/apply/{code}").status_code == 200  # sign up or sign in, on the form's page
        token = sign_up(client, f"/apply/{code}")
        post = lambda step, **data: client.post(f"/apply/{code}/{step}", data={"csrf": token, **data})  # noqa: E731
        assert (
            post(
                "business",
                name="Nineveh Dairy",
                registration_number="NIN-2024-77",
                sector="agriculture",
                governorate="IQ-NI",
                district="Mosul",
                address="Al-Zuhur",
                founded_year="2016",
                employees_female="2",
                employees_male="5",
            ).status_code
            == 303
        )
        assert (
            post(
                "owner",
                full_name="Layla Hassan",
                national_id=str(uuid.uuid4().int)[:12],
                phone="0770 123 4567",
                sex="female",
                birth_year="1988",
                displacement_status="returnee",
            ).status_code
            == 303
        )
        plan = {
            "summary": "A second milk cooler.",
            "jobs_planned_female": "2",
            "jobs_planned_male": "2",
            "requested_amount": "18,000",
            "co_contribution": "٣٠٠٠",
            "lines-0-item": "Milk cooler",
            "lines-0-quantity": "1",
            "lines-0-unit_cost": "20000",
            "lines-1-item": "",
            "lines-1-quantity": "",
            "lines-1-unit_cost": "",
            "lines-2-item": "",
            "lines-2-quantity": "",
            "lines-2-unit_cost": "",
        }
        more = post("plan", action="add_line", **plan)
        assert more.status_code == 200 and 'name="lines-3-item"' in more.text and 'value="Milk cooler"' in more.text
        wrong = post("plan", **{**plan, "lines-3-item": "Pump", "lines-3-quantity": "one", "lines-3-unit_cost": "1000"})
        assert wrong.status_code == 422
        assert set(field_errors(wrong.text)) == {"f-lines-3-quantity"}
        assert (
            post(
                "plan", **{**plan, "lines-3-item": "Pump", "lines-3-quantity": "1", "lines-3-unit_cost": "1000"}
            ).headers["location"]
            == f"/apply/{code}/documents"
        )
        upload = client.post(
            f"/apply/{code}/documents",
            data={"csrf": token, "kind": "registration"},
            files={"file": ("registration.pdf", SMALL_PDF, "application/pdf")},
        )
        assert upload.status_code == 303
        text_file = client.post(
            f"/apply/{code}/documents",
            data={"csrf": token, "kind": "quote"},
            files={"file": ("quote.txt", b"just text", "text/plain")},
        )
        assert text_file.status_code == 415 and "Only PDF, JPEG and PNG" in text_file.text
        assert "registration.pdf" in client.get(f"/apply/{code}/documents").text
        early = client.post(f"/apply/{code}/submit", data={"csrf": token})
        assert early.status_code == 422 and f'href="/apply/{code}/consent#f-data_processing"' in early.text
        assert post("consent", data_processing="yes").headers["location"] == f"/apply/{code}/review"
        review = client.get(f"/apply/{code}/review").text
        assert "Nineveh Dairy" in review and "•••• " in review and "registration.pdf" in review
        sent = client.post(f"/apply/{code}/submit", data={"csrf": token})
        assert sent.status_code == 303
        done = client.get(sent.headers["location"]).text
        reference = re.search(r'id="reference" dir="ltr">([^<]+)<', done)
        assert reference is not None and reference.group(1).startswith(f"EDF-{code}-")
        assert wait_until(lambda: ">Eligible<" in client.get("/status").text)
        assert reference.group(1) in client.get("/status").text
        again = client.get(f"/apply/{code}")  # coming back shows the reference, not a new form
        assert again.status_code == 200 and reference.group(1) in again.text
