"""Personal data through the whole lifecycle (issue #7): a canary applicant's names (English and
Arabic), national id, phone and IBAN go in through the gateway (sign-up, application, payee) and
the grant goes all the way: submitted, screened, scored, awarded, milestone verified, tranche
requested, approved and paid by the reference finance consumer, monitoring visit. Then every
log line of every process (at DEBUG), every message on every stream, the error bodies of
requests that carry the canaries, and every export are searched for each canary and its
variants (case-folded, digits only, without spaces, JSON-escaped).

Only the payment instruction may carry the payee's name and account: the
`edf.disbursement.payment.instructed.v1` events and the pain.001 file (never the national id or
the phone).
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from schwifty import IBAN

from tests.conftest import BACKENDS, POSTGRES_URL
from tests.support.disbursement import finance_sim_process, sim_payments
from tests.support.jetstream import stream_messages, with_js
from tests.support.samples import application_body, call_body
from tests.support.stack import PATIENT, Stack, running_stack, stack_databases

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]
T = TypeVar("T")
PASSWORD = "a long canary password"
INSTRUCTED = "edf.disbursement.payment.instructed.v1"
EXPORTS = ("export.csv", "export.iati.xml", "export.360giving.json")


@dataclass(frozen=True)
class Canaries:
    name: str = "Canary Zainab Al-Canary"
    name_ar: str = "زينب كناري"
    national_id: str = f"CNRY{random.randrange(10**9, 10**10)}"
    phone_local: str = f"077{random.randrange(10**7, 10**8)}"  # as typed: 0771 234 5678
    account: str = f"{random.randrange(10**11, 10**12)}"

    @property
    def phone(self) -> str:  # E.164, as the application keeps it
        return "+964" + self.phone_local[1:]

    @property
    def iban(self) -> IBAN:
        return IBAN.generate("IQ", bank_code="NBIQ", branch_code="850", account_code=self.account)

    def payee_variants(self) -> dict[str, str]:
        """What the payment instruction may carry."""
        return {
            "name": self.name,
            "name lower": self.name.lower(),
            "name upper": self.name.upper(),
            "surname": "Zainab Al-Canary",
            "IBAN": self.iban.compact,
            "IBAN grouped": self.iban.formatted,
            "IBAN lower": self.iban.compact.lower(),
            "account number": self.account,
        }

    def variants(self) -> dict[str, str]:
        """label -> text that must be found nowhere (but the payee's in the instruction)."""
        found = {
            **self.payee_variants(),
            "Arabic name": self.name_ar,
            "Arabic surname": self.name_ar.split()[-1],
            "national id": self.national_id,
            "national id lower": self.national_id.lower(),
            "national id digits": self.national_id[4:],
            "phone E.164": self.phone,
            "phone digits": self.phone[1:],
            "phone local": self.phone_local,
            "phone national": self.phone_local[1:],
            "phone typed": f"{self.phone_local[:4]} {self.phone_local[4:7]} {self.phone_local[7:]}",
        }
        escaped = {
            f"{label} (JSON-escaped)": json.dumps(text)[1:-1]
            for label, text in found.items()
            if json.dumps(text)[1:-1] != text
        }
        return {**found, **escaped}


CANARIES = Canaries()


@pytest.fixture(scope="module", params=BACKENDS)
def stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp(f"canary-{request.param}")
    with (
        stack_databases(request.param, tmp, POSTGRES_URL) as env,
        running_stack(tmp / "var", {**env, "EDF_LOG_LEVEL": "DEBUG", **PATIENT}, timeout=300) as running,
    ):
        yield running


def eventually(check: Callable[[], T | None], timeout: float = 60.0) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout} s")


class Api:
    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.client = httpx.Client(base_url=f"{stack.gateway}/api/v1", timeout=30)
        self.admin = stack.token()

    def user(self, role: str, full_name: str | None = None) -> dict[str, str]:
        email = f"{role}-{uuid.uuid4().hex[:8]}@example.org"
        body = {"email": email, "password": PASSWORD, "full_name": full_name or f"Test {role}"}
        if role == "applicant":
            created = self.client.post("/auth/register", json=body)
        else:
            created = self.client.post("/users", json={**body, "role": role}, headers=self.admin)
        assert created.status_code == 201, created.text
        return self.stack.token(email, PASSWORD)

    def ok(self, method: str, path: str, headers: dict[str, str], status: int = 200, **kwargs: Any) -> Any:
        answer = self.client.request(method, path, headers=headers, **kwargs)
        assert answer.status_code == status, f"{method} {path}: {answer.status_code} {answer.text[:300]}"
        return answer.json() if answer.headers.get("content-type", "").startswith("application/json") else answer


def lifecycle(api: Api, finance_db: Path) -> tuple[dict[str, Any], list[str]]:
    """The canary's grant from sign-up to a paid tranche and a visit; returns (ids and the pain.001
    file, error bodies)."""
    c = CANARIES
    applicant = api.user("applicant", full_name=c.name_ar)
    officer, committee, finance, monitor = (api.user(role) for role in ("officer", "committee", "finance", "monitor"))
    call = api.ok("POST", "/calls", api.admin, 201, json=call_body(reviewers_per_application=1))
    api.ok("POST", f"/calls/{call['id']}/open", api.admin)
    owner = {"full_name": c.name, "national_id": c.national_id, "phone": c.phone_local}
    draft = api.ok("POST", "/applications", applicant, 201, json=application_body(call["id"], owner=owner))
    api.ok("POST", f"/applications/{draft['id']}/submit", applicant)
    review = eventually(
        lambda: next(
            (r for r in api.ok("GET", "/reviews", officer)["items"] if r["application_id"] == draft["id"]), None
        )
    )
    api.ok("POST", f"/reviews/{review['id']}/submit", officer, json={"scores": {"jobs": 5, "viability": 9}})
    eventually(lambda: api.ok("GET", f"/applications/{draft['id']}", applicant)["status"] == "scored")
    decided = api.ok(
        "POST",
        f"/calls/{call['id']}/decisions",
        committee,
        json={"decisions": [{"application_id": draft["id"], "decision": "award"}]},
    )
    assert decided["accepted"], decided
    grant = eventually(lambda: next(iter(api.ok("GET", "/grants", applicant)["items"]), None))
    first = grant["tranches"][0]
    eventually(
        lambda: (
            api.client.post(
                f"/grants/{grant['id']}/milestones/{first['milestone']}/verify", headers=monitor, json={}
            ).status_code
            == 200
        )
    )
    eventually(lambda: api.ok("GET", f"/grants/{grant['id']}", officer)["tranches"][0]["status"] == "eligible")
    api.ok(
        "PUT",
        f"/grants/{grant['id']}/payee",
        applicant,
        json={"method": "bank", "account_holder": c.name, "iban": c.iban.formatted},
    )
    api.ok("POST", f"/tranches/{first['id']}/request", officer)
    instruction = api.ok("POST", f"/tranches/{first['id']}/approve", finance)["instruction_id"]
    # An `events` call's payments go to the finance system only, never also in a bank file (#15).
    no_file = api.client.get(f"/calls/{call['id']}/payments.xml", headers=finance)
    assert no_file.status_code == 409 and no_file.json()["code"] == "payment_channel_events", no_file.text
    payments = no_file.text
    with finance_sim_process(api.stack.nats_url, finance_db):
        eventually(lambda: api.ok("GET", f"/grants/{grant['id']}", applicant)["tranches"][0]["status"] == "paid")
    assert sim_payments(finance_db) == [(instruction, "settled")]
    job = {"sex": "female", "age_group": "25-34", "displacement_status": "returnee", "start_date": "2026-01-05"}
    eventually(
        lambda: (
            api.client.post(
                f"/grants/{grant['id']}/visits",
                headers=monitor,
                json={
                    "visited_on": date.today().isoformat(),
                    "kind": "verification",
                    "findings": "Cooler installed.",
                    "jobs": [job],
                },
            ).status_code
            == 201
        )
    )
    ids = {"call": call["id"], "application": draft["id"], "grant": grant["id"], "payments.xml": payments}
    return ids, error_bodies(api, applicant, owner, call["id"], draft["id"], grant["id"])


def error_bodies(
    api: Api, applicant: dict[str, str], owner: dict[str, str], call_id: str, application_id: str, grant_id: str
) -> list[str]:
    """Requests carrying the canaries that must fail (422, 409, 404); their bodies."""
    c = CANARIES
    bad: list[tuple[str, str, dict[str, str], Any, int]] = [
        ("POST", "/auth/register", {}, {"email": c.name, "password": PASSWORD, "full_name": c.name_ar}, 422),
        (
            "POST",
            "/applications",
            applicant,
            {"call_id": call_id, "owner": {**owner, "phone": f"{c.phone} {c.name}"}},
            422,
        ),
        (
            "POST",
            "/applications",
            applicant,
            {"call_id": call_id, "owner": {**owner, "national_id": c.national_id + "!" * 40}},
            422,
        ),
        ("POST", "/applications", applicant, {"call_id": call_id, "owner": {**owner, "sex": c.name}}, 422),
        (
            "PUT",
            f"/grants/{grant_id}/payee",
            applicant,
            {"method": "bank", "account_holder": c.name, "iban": c.iban.compact[:-1] + "X"},
            422,
        ),
        (
            "PUT",
            f"/grants/{grant_id}/payee",
            applicant,
            {"method": "bank", "account_holder": c.name * 9, "iban": c.iban.compact},
            422,
        ),
        (
            "PUT",
            f"/grants/{grant_id}/payee",
            applicant,
            {"method": "mobile_wallet", "account_holder": c.name, "wallet_phone": c.phone + c.name_ar},
            422,
        ),
        ("PATCH", f"/applications/{application_id}", applicant, {"owner": owner}, 409),
        ("POST", f"/applications/{application_id}/submit", applicant, None, 409),
        (
            "PUT",
            f"/grants/{uuid.uuid4()}/payee",
            applicant,
            {"method": "bank", "account_holder": c.name, "iban": c.iban.compact},
            404,
        ),
        ("PATCH", f"/applications/{uuid.uuid4()}", applicant, {"owner": owner}, 404),
    ]
    bodies = []
    for method, path, headers, body, status in bad:
        answer = api.client.request(method, path, headers=headers, json=body)
        assert answer.status_code == status, f"{method} {path}: {answer.status_code} {answer.text[:300]}"
        bodies.append(f"{method} {path} -> {answer.status_code}: {answer.text}")
    return bodies


def leaks(where: str, text: str, allowed: dict[str, str] | None = None) -> list[str]:
    """One line per canary variant found in `text` (outside `allowed`), with a little context."""
    found = []
    folded = text.casefold()
    for label, canary in CANARIES.variants().items():
        if allowed and label.split(" (")[0] in allowed:
            continue
        at = folded.find(canary.casefold())
        if at >= 0:
            found.append(f"{where}: {label} in …{text[max(0, at - 60) : at + len(canary) + 60]!r}…")
    return found


def all_streams(nats_url: str) -> list[str]:
    async def names(js: Any) -> list[str]:
        return sorted([info.config.name for info in await js.streams_info()])

    return with_js(nats_url, names)


def test_canaries_only_in_the_payment_instruction(stack: Stack, tmp_path: Path) -> None:
    api = Api(stack)
    finance_db = tmp_path / "finance-sim.db"
    ids, bodies = lifecycle(api, finance_db)
    payee = CANARIES.payee_variants()
    found: list[str] = []

    for body in bodies:
        found += leaks(f"error body of {body.split(':', 1)[0]}", body)

    exports = httpx.get(f"{stack.gateway}/openapi.json", timeout=30).json()["paths"]
    for name in EXPORTS:
        answer = api.client.get(f"/calls/{ids['call']}/{name}", headers=api.admin)
        if answer.status_code == 404 and f"/api/v1/calls/{{call_id}}/{name}" not in exports:
            continue  # not written yet
        assert answer.status_code == 200, f"{name}: {answer.status_code} {answer.text[:300]}"
        found += leaks(f"export {name}", answer.text)
    found += leaks("payments.xml of an events call (a 409)", ids["payments.xml"])

    streams = all_streams(stack.nats_url)
    assert {"EDF_APPLICATIONS", "EDF_SCORING", "EDF_DISBURSEMENT", "EDF_MONITORING", "EDF_FINANCE"} <= set(streams)
    instructed = 0
    for stream in streams:
        for message in stream_messages(stack.nats_url, stream):
            exempt = payee if message.subject == INSTRUCTED else None
            instructed += message.subject == INSTRUCTED and CANARIES.iban.compact in message.data.decode()
            found += leaks(f"event {stream} {message.subject}", message.data.decode("utf-8", "replace"), exempt)
    assert instructed == 1, "the payment instruction should carry the IBAN to the finance system"

    time.sleep(2)  # the last log lines (consumers, relays) are written
    log_files = [finance_db.with_suffix(".log")]
    lines = list(stack.output) + [line for path in log_files for line in path.read_text().splitlines()]
    assert sum('"msg": "request"' in line for line in lines) > 20, "the processes should log every request"
    for number, line in enumerate(lines, 1):
        found += leaks(f"log line {number} ({line.split('|', 1)[0].strip()})", line)

    assert found == [], f"personal data found in {len(found)} place(s):\n" + "\n".join(found[:50])
