"""No personal data in any of monitoring's outputs: canary personal data (a name in Latin and
Arabic script, a national id, a phone, an IBAN, an address) goes in wherever a person could type
it, and none of it, in any spelling or encoding, comes out of the CSV, IATI and 360Giving exports
or the indicators.

Two routes in: the whole submission path (the applications service's API, its events over
JetStream, disbursement's payout details and payment) with monitoring consuming what it is sent;
and monitoring fed events whose every free-text field (district, plan summary, budget lines) and
its own free text (visit findings, flag reasons) carry the canaries. Positive controls show the
canaries did reach the services, and that the check finds them in every encoding it guards
against, so the test fails the day an export carries a name."""

from __future__ import annotations

import contextlib
import html
import json
import re
import urllib.parse
import uuid
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from shared.auth import Role
from shared.events.applications import ApplicationSubmittedV1, BudgetLineFacts
from shared.inbox import NotYetApplicable
from tests.support.apps import bearer, wait_until
from tests.support.disbursement import Disbursement, disbursement_service
from tests.support.intake import ADMIN, intake_service
from tests.support.monitoring import SUBMITTED, Monitoring, days_ago, event, job, monitoring_service
from tests.support.natsd import NatsServer

NAME = "CANARY-Name-Zainab"
NAME_AR = "زينب الكناري"
NATIONAL_ID = "CANARY19900424"
PHONE = "+9647704242424"
IBAN = "IQ58NBIQ850424242424242"  # a valid Iraqi IBAN (check digits) kept for this test
ADDRESS = "CANARY-Street-42"
NEEDLES = [
    NAME,
    "canary",
    "zainab",
    NAME_AR,
    "زينب",
    "الكناري",
    NATIONAL_ID,
    "19900424",
    PHONE,
    "07704242424",
    "7704242424",
    IBAN,
    "424242424242",
    ADDRESS,
]
_SEPARATORS = re.compile(r"[\s\-_./()+,:;]")


def _compact(text: str) -> str:
    return _SEPARATORS.sub("", text.lower())


def readings(body: str) -> list[str]:
    """The body as served and decoded every way it could hide a string: XML/HTML character
    references, JSON \\u escapes, URL encoding; each also lower-cased without separators."""
    forms = [body, html.unescape(body), urllib.parse.unquote(body)]
    with contextlib.suppress(ValueError):
        forms.append(json.dumps(json.loads(body), ensure_ascii=False))
    return forms + [_compact(form) for form in forms]


def leaks(body: str) -> list[str]:
    found = readings(body)
    return [
        needle
        for needle in NEEDLES
        if any(needle.lower() in form.lower() or _compact(needle) in form for form in found)
    ]


def test_the_check_finds_the_canaries_in_every_encoding() -> None:
    """If an export carried a name, a phone or an IBAN in any of these forms, the test would fail."""
    as_xml = NAME_AR.encode("ascii", "xmlcharrefreplace").decode()
    for body in (
        f"x,{NAME.upper()},y",
        json.dumps({"name": NAME_AR}),
        f"<n>{as_xml}</n>",
        "IQ58 NBIQ 8504 2424 2424 242",
        "0770 424 2424",
        urllib.parse.quote(NAME),
        "canary name zainab",
        "national id 1990-0424",
    ):
        assert leaks(body), body
    assert leaks("EDF-T-1A2B3C4D,IQ-NI,18000.00,31120") == []


def outputs(monitoring: Monitoring, call_id: object) -> dict[str, str]:
    headers = bearer(Role.officer)
    found = {}
    for name in ("indicators", "export.csv", "export.iati.xml", "export.360giving.json"):
        response = monitoring.client.get(f"/api/v1/calls/{call_id}/{name}", headers=headers)
        assert response.status_code == 200, (name, response.text)
        found[name] = response.text
    return found


def assert_no_canary(found: dict[str, str], reference: str) -> None:
    for name, body in found.items():
        assert leaks(body) == [], f"personal data in {name}: {leaks(body)}"
    for name in ("export.csv", "export.iati.xml", "export.360giving.json"):  # non-trivial: the grant is in it
        assert reference in found[name] or name == "export.csv", name


def test_canaries_fed_to_monitoring_never_reach_an_output(database_url: str, own_nats: NatsServer) -> None:
    with monitoring_service(database_url, own_nats.url) as monitoring:
        call_id = monitoring.open_call()
        submitted = monitoring.submitted_event(call_id)
        data = ApplicationSubmittedV1.model_validate(submitted.data)
        data = data.model_copy(
            update={
                "business": data.business.model_copy(update={"district": f"{NAME} / {ADDRESS} / {NAME_AR}"}),
                "plan": data.plan.model_copy(
                    update={
                        "summary": f"{NAME} ({NAME_AR}), id {NATIONAL_ID}, phone {PHONE}, IBAN {IBAN}",
                        "budget_lines": [
                            BudgetLineFacts(item=f"Oven for {NAME}", quantity=1, unit_cost=Decimal("21000"))
                        ],
                    }
                ),
            }
        )
        assert monitoring.deliver_event(event(SUBMITTED, data.application_id, data))
        grant = monitoring.grant_for(call_id, data.application_id)
        monitoring.pay(grant, 1, days_ago(20))
        visit = monitoring.visit(
            grant.id,
            findings=f"Met {NAME} ({PHONE}) at {ADDRESS}.",
            jobs=[job()],
            flag={"reason": f"{NAME} asked to be paid to IBAN {IBAN}", "hold_payments": False},
        )
        assert visit.status_code == 201, visit.text
        # Positive controls: the canaries reached monitoring (its copy, its grant view)...
        assert any(NAME in row[0] for row in monitoring.sql("SELECT district FROM applications"))
        assert leaks(json.dumps(monitoring.monitoring(grant.id)))
        # ...and none of them comes out of the indicators or an export.
        assert_no_canary(outputs(monitoring, call_id), data.reference)


def deliver_when_ready(service: Disbursement, cloud_event: Any) -> bool:
    try:
        return service.deliver_event(cloud_event)
    except NotYetApplicable:
        return False


def test_canaries_through_the_whole_submission_and_payment_path(
    make_database_url: Callable[[], str], own_nats: NatsServer, tmp_path: Path
) -> None:
    with (
        intake_service(make_database_url(), own_nats.url, tmp_path) as intake,
        disbursement_service(make_database_url(), own_nats.url) as disbursement,
        monitoring_service(make_database_url(), own_nats.url) as monitoring,
    ):
        call_id = uuid.UUID(intake.call["id"])
        draft = intake.draft(
            business={"name": f"{NAME} Bakery ({NAME_AR})", "address": ADDRESS, "district": f"{NAME} district"},
            owner={"full_name": NAME, "national_id": NATIONAL_ID, "phone": PHONE},
            plan={
                "summary": f"{NAME} will hire two people; call {PHONE}.",
                "budget_lines": [{"item": f"Oven for {NAME}", "quantity": 1, "unit_cost": "21000.00"}],
            },
        )
        intake.submit(draft)
        application = intake.screened(draft)
        assert application["status"] == "eligible", application
        application_id = uuid.UUID(draft["id"])
        # Scoring's decision (scoring is not running here): disbursement creates the grant.
        decided = disbursement.decided(call_id, application_id)
        wait_until(lambda: deliver_when_ready(disbursement, decided), timeout=60)
        grant = disbursement.grant_of(application_id)
        assert disbursement.set_payee(grant["id"], account_holder=NAME, iban=IBAN).status_code == 200
        # Monitoring learns of the grant over JetStream and verifies the first milestone.
        wait_until(
            lambda: (
                monitoring.client.get(
                    f"/api/v1/grants/{grant['id']}/monitoring", headers=bearer(Role.officer)
                ).status_code
                == 200
            ),
            timeout=60,
        )
        assert monitoring.visit(grant["id"], milestones_verified=["agreement_signed"]).status_code == 201
        wait_until(lambda: disbursement.grant(grant["id"])["tranches"][0]["status"] == "eligible", timeout=60)
        tranche = disbursement.grant(grant["id"])["tranches"][0]
        assert disbursement.request(tranche["id"], bearer(Role.officer)).status_code == 200
        approved = disbursement.approve(tranche["id"], bearer(Role.finance))
        assert approved.status_code == 200, approved.text
        assert disbursement.settle(str(approved.json()["instruction_id"])).status_code == 200
        wait_until(
            lambda: monitoring.sql("SELECT count(*) FROM grant_tranches WHERE paid_at IS NOT NULL")[0][0], timeout=60
        )
        # Positive controls: the applications service holds the name; disbursement's payment
        # instruction (which monitoring does not consume) carries the account holder.
        assert (
            intake.client.get(f"/api/v1/applications/{draft['id']}", headers=ADMIN).json()["owner"]["full_name"] == NAME
        )
        instructed = disbursement.sql("SELECT payload FROM outbox WHERE subject LIKE '%payment.instructed%'")
        assert leaks(" ".join(row[0] for row in instructed))
        found = outputs(monitoring, call_id)
        assert json.loads(found["indicators"])["disbursed"] == tranche["amount"]
        assert_no_canary(found, application["reference"])
