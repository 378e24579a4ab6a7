"""The staff's monitoring dashboard over plain HTTP (no browser): the applications and monitoring
services and the gateway as real servers on one JetStream, a call opened through the API (its
`call.opened` reaches monitoring through NATS), grants, payments and visits fed to monitoring."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.main import create_app as create_gateway
from gateway.web.i18n import catalogue
from services.applications.main import create_app as create_applications
from services.applications.settings import Settings as ApplicationsSettings
from services.monitoring.main import create_app as create_monitoring
from services.monitoring.settings import Settings as MonitoringSettings
from shared.auth import Role
from shared.events.disbursement import TranchePaidV1
from shared.migrate import upgrade
from tests.support.apps import bearer, wait_until
from tests.support.gateway import ADMIN_PASSWORD, PASSWORD, gateway_settings, login_mfa, unique_email
from tests.support.monitoring import PAID, MonitoredGrant, Monitoring, days_ago, event, job
from tests.support.natsd import NatsServer
from tests.support.samples import call_body
from tests.support.servers import ServerThread
from tests.support.web import csrf_of

ADMIN = "admin@dashboard.example"
EN, AR = catalogue("en"), catalogue("ar")
SVG = re.compile(
    r'<svg xmlns="http://www.w3.org/2000/svg" class="chart"[^>]*>\s*<title id="([^"]+)-title">([^<]+)'
    r'</title><desc id="[^"]+-desc">([^<]+)</desc>'
)


@dataclass
class Dashboard:
    gateway_url: str
    applications_url: str
    call: dict[str, Any]
    monitoring: Monitoring | None

    admin: dict[str, str] = field(default_factory=dict)

    def user(self, role: Role) -> str:
        """A new account with `role` (created by the admin through the API); its email."""
        email = unique_email(role.value)
        with httpx.Client(base_url=self.gateway_url, timeout=15) as client:
            if not self.admin:  # one sign-in: each one hashes the password
                self.admin["Authorization"] = f"Bearer {login_mfa(client, ADMIN, ADMIN_PASSWORD)}"
            created = client.post(
                "/api/v1/users",
                headers=self.admin,
                json={"email": email, "password": PASSWORD, "full_name": f"Test {role.value}", "role": role.value},
            )
            assert created.status_code == 201, created.text
        return email

    @contextmanager
    def signed_in(self, role: Role, lang: str = "en") -> Iterator[httpx.Client]:
        with httpx.Client(base_url=self.gateway_url, timeout=15, headers={"Accept-Language": lang}) as client:
            token = csrf_of(client.get("/signin").text)
            response = client.post(
                "/signin", data={"csrf": token, "email": self.user(role), "password": PASSWORD, "next": "/dashboard"}
            )
            assert response.status_code == 303 and response.headers["location"] == "/dashboard", response.text
            yield client


@pytest.fixture
def dashboard(
    make_database_url: Callable[[], str], own_nats: NatsServer, tmp_path: Path
) -> Iterator[Callable[..., Dashboard]]:
    """`dashboard(monitoring=True)`: the servers; without monitoring, the gateway's monitoring
    address is a port nobody listens on."""
    with ExitStack() as stacks:

        def start(monitoring: bool = True) -> Dashboard:
            applications_db, gateway_db = make_database_url(), make_database_url()
            upgrade("applications", applications_db)
            upgrade("gateway", gateway_db)
            applications = stacks.enter_context(
                ServerThread(
                    create_applications(
                        ApplicationsSettings(
                            database_url=applications_db, documents_dir=tmp_path / "documents", nats_url=own_nats.url
                        )
                    )
                )
            )
            upstreams = {"applications_url": applications.url}
            seeded: Monitoring | None = None
            if monitoring:
                monitoring_db = make_database_url()
                upgrade("monitoring", monitoring_db)
                service = create_monitoring(MonitoringSettings(database_url=monitoring_db, nats_url=own_nats.url))
                server = stacks.enter_context(ServerThread(service))
                client = stacks.enter_context(httpx.Client(base_url=server.url, timeout=15))
                seeded = Monitoring(app=service, client=client, database_url=monitoring_db)
                upstreams["monitoring_url"] = server.url
            settings = gateway_settings(
                gateway_db, bootstrap_admin_email=ADMIN, bootstrap_admin_password=ADMIN_PASSWORD, **upstreams
            )
            gateway = stacks.enter_context(ServerThread(create_gateway(settings)))
            with httpx.Client(base_url=applications.url, headers=bearer(Role.admin), timeout=15) as client:
                created = client.post("/api/v1/calls", json=call_body())
                assert created.status_code == 201, created.text
                call = client.post(f"/api/v1/calls/{created.json()['id']}/open").json()
            if seeded is not None:
                seeded_client = seeded.client
                wait_until(
                    lambda: (
                        seeded_client.get(
                            f"/api/v1/calls/{call['id']}/indicators", headers=bearer(Role.officer)
                        ).status_code
                        == 200
                    ),
                    30,
                )
            return Dashboard(gateway_url=gateway.url, applications_url=applications.url, call=call, monitoring=seeded)

        yield start


def pay_at(monitoring: Monitoring, grant: MonitoredGrant, seq: int, at: datetime) -> None:
    tranche = grant.tranches[seq - 1]
    assert monitoring.deliver_event(
        event(
            PAID,
            tranche.tranche_id,
            TranchePaidV1(
                tranche_id=tranche.tranche_id, grant_id=grant.id, amount=tranche.amount, currency="USD", paid_at=at
            ),
        )
    )


def seed(monitoring: Monitoring, call_id: uuid.UUID) -> None:
    """Two grants (28000 awarded); 9000 paid in January, 5400 + 5000 in March 2026; four jobs seen;
    G1's first two verification visits done and the third one overdue, G2's three due."""
    g1 = monitoring.grant(
        call_id, amount="18000.00", created_at=datetime(2026, 1, 5, tzinfo=UTC), governorate="IQ-NI", female=2, male=2
    )
    g2 = monitoring.grant(
        call_id, amount="10000.00", governorate="IQ-AN", owner_sex="male", displacement="idp", female=1, male=3
    )
    pay_at(monitoring, g1, 1, datetime(2026, 1, 20, 9, tzinfo=UTC))
    pay_at(monitoring, g1, 2, datetime(2026, 3, 3, 9, tzinfo=UTC))
    pay_at(monitoring, g2, 1, datetime(2026, 3, 9, 9, tzinfo=UTC))
    visit = monitoring.visit(
        g1.id,
        visited_on=days_ago(20).isoformat(),
        milestones_verified=["agreement_signed", "assets_purchased"],
        jobs=[job("female", "idp"), job("female", "returnee"), job("male", "host")],
    )
    assert visit.status_code == 201, visit.text
    assert monitoring.visit(g2.id, kind="follow_up", jobs=[job("male", "idp")]).status_code == 201


def test_anonymous_visitors_sign_in_first_and_applicants_are_refused(dashboard: Callable[..., Dashboard]) -> None:
    web = dashboard(monitoring=False)
    with httpx.Client(base_url=web.gateway_url, timeout=15) as anonymous:
        for path in ("/dashboard", f"/dashboard/{web.call['id']}"):
            response = anonymous.get(path)
            assert response.status_code == 303
            assert response.headers["location"] == "/signin?" + httpx.QueryParams({"next": path}).__str__()
        assert 'href="/dashboard"' not in anonymous.get("/").text
    with httpx.Client(base_url=web.gateway_url, timeout=15) as applicant:
        token = csrf_of(applicant.get("/signin").text)
        signed_up = applicant.post(
            "/signup",
            data={
                "csrf": token,
                "next": "/dashboard",
                "full_name": "Layla Hassan",
                "email": unique_email("applicant"),
                "password": PASSWORD,
            },
        )
        assert signed_up.status_code == 303
        for path in ("/dashboard", f"/dashboard/{web.call['id']}", "/dashboard/not-a-call"):
            refused = applicant.get(path)
            assert refused.status_code == 403, path
            assert EN["error.staff_only"].replace("'", "&#39;") in refused.text
        assert 'href="/dashboard"' not in applicant.get("/").text  # no link for applicants


def test_staff_see_the_calls_and_each_calls_figures_in_english(dashboard: Callable[..., Dashboard]) -> None:
    web = dashboard()
    assert web.monitoring is not None
    seed(web.monitoring, uuid.UUID(web.call["id"]))
    with web.signed_in(Role.officer) as officer:
        listing = officer.get("/dashboard")
        assert listing.status_code == 200
        assert 'href="/dashboard" aria-current="page"' in listing.text  # the header's link, for staff
        assert f'href="/dashboard/{web.call["id"]}"' in listing.text and web.call["title"]["en"] in listing.text
        page = officer.get(f"/dashboard/{web.call['id']}")
        assert page.status_code == 200, page.text
        html = page.text
        assert page.headers["content-security-policy"].startswith("default-src 'self'")
        assert '<html lang="en" dir="ltr">' in html and "<script" not in html
        charts = {chart_id: (title, desc) for chart_id, title, desc in SVG.findall(html)}
        assert list(charts) == ["chart-jobs", "chart-money", "chart-visits", "chart-grants"]
        assert charts["chart-jobs"] == (
            EN["dash.chart.jobs"],
            "IDPs: Female 1, Male 1; Returnees: Female 1, Male 0; Host community: Female 0, Male 1",
        )
        assert charts["chart-money"][1] == (
            "2026-01: 9,000 (Total to date 9,000); 2026-02: 0 (Total to date 9,000); "
            "2026-03: 10,400 (Total to date 19,400)"
        )
        assert charts["chart-visits"][1] == "Due: 3, Overdue: 1, Done: 2"
        assert charts["chart-grants"][1] == "Active: 2, Completed: 0"
        assert 'direction="ltr"' in html and 'style="' not in html
        summary = dict(re.findall(r"<dt>([^<]+)</dt><dd>(.*?)</dd>", html))
        assert summary[EN["dash.grants"]] == "2"
        assert summary[EN["dash.awarded"]] == "<bdi>28,000.00</bdi> USD"
        assert summary[EN["dash.disbursed"]] == "<bdi>19,400.00</bdi> USD"
        assert summary[EN["dash.jobs_verified"]] == "4"
        assert summary[EN["dash.cost_per_job"]] == "<bdi>4,850.00</bdi> USD"
        assert summary[EN["dash.visits_overdue"]] == "1"
        rows = dict(re.findall(r'<tr><th scope="row">([^<]+)</th>(.*?)</tr>', html))
        assert re.findall(r"<td>([^<]*)</td>", rows[EN["dash.jobs_planned"]]) == ["8", "3", "5", "4", "4", "0"]
        assert re.findall(r"<td>([^<]*)</td>", rows[EN["dash.jobs_verified"]]) == ["4", "2", "2", "2", "1", "1"]
        assert EN["governorate.IQ-NI"] in html and EN["governorate.IQ-AN"] in html
        assert re.findall(r"<td><bdi>([^<]*)</bdi></td>", rows[EN["dash.disbursed"]])[0] == "19,400.00"
        assert 'id="table-applications"' in html
        assert EN["dash.monitoring_unavailable"] not in html


def test_every_staff_role_may_see_the_dashboard(dashboard: Callable[..., Dashboard]) -> None:
    web = dashboard()
    for role in (Role.committee, Role.finance, Role.monitor, Role.admin):
        with web.signed_in(role) as member:
            assert member.get(f"/dashboard/{web.call['id']}").status_code == 200, role
            assert member.get("/dashboard").status_code == 200, role
    draft = httpx.post(f"{web.applications_url}/api/v1/calls", json=call_body(), headers=bearer(Role.admin)).json()
    with web.signed_in(Role.officer) as officer:
        assert officer.get(f"/dashboard/{uuid.uuid4()}").status_code == 404
        assert officer.get("/dashboard/not-a-call").status_code == 404
        listing = officer.get("/dashboard").text  # drafts too, after the open calls
        assert listing.index(web.call["code"]) < listing.index(draft["code"])
        assert EN["dash.call_status.draft"] in listing
        page = officer.get(f"/dashboard/{draft['id']}")  # never opened: monitoring does not know it
        assert page.status_code == 200 and EN["dash.not_in_monitoring"] in page.text and "<svg" not in page.text


def test_the_arabic_dashboard_is_right_to_left_and_in_arabic(dashboard: Callable[..., Dashboard]) -> None:
    web = dashboard()
    assert web.monitoring is not None
    seed(web.monitoring, uuid.UUID(web.call["id"]))
    with web.signed_in(Role.monitor, "ar") as monitor:
        html = monitor.get(f"/dashboard/{web.call['id']}").text
        assert '<html lang="ar" dir="rtl">' in html
        assert web.call["title"]["ar"] in html
        for key in ("dash.chart.jobs", "dash.summary", "dash.visits_overdue", "dash.displacement.idp", "nav.dashboard"):
            assert AR[key] in html, key
        assert AR["dash.chart.money"].format("USD") in html
        charts = {chart_id: title for chart_id, title, _ in SVG.findall(html)}
        assert len(charts) == 4 and charts["chart-grants"] == AR["dash.chart.grants"]
        assert html.count('direction="rtl"') == 4
        assert "<bdi>28,000.00</bdi> USD" in html  # numbers stay in ASCII digits


def test_monitoring_down_leaves_a_note_and_the_page_stands(dashboard: Callable[..., Dashboard]) -> None:
    web = dashboard(monitoring=False)
    for lang, words in (("en", EN), ("ar", AR)):
        with web.signed_in(Role.officer, lang) as officer:
            page = officer.get(f"/dashboard/{web.call['id']}")
            assert page.status_code == 200
            assert 'id="monitoring-unavailable"' in page.text and words["dash.monitoring_unavailable"] in page.text
            assert web.call["title"][lang] in page.text and "<svg" not in page.text
            assert officer.get("/dashboard").status_code == 200
