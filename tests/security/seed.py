"""The objects the security tests act on, made through the gateway as people make them.

Two worlds, A and B, with the same objects each: applicant A's and applicant B's applications,
documents, grants, tranches, payment instructions and flags; the reviews of the `officer`
(world A) and of a second officer (world B). "Own" is world A for every principal but
applicant B, whose own world is B; "foreign" is the other one.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import httpx

from tests.support.apps import wait_until
from tests.support.samples import application_body, call_body
from tests.support.stack import Stack

T = TypeVar("T")
PASSWORD = "security matrix password 1"
PRINCIPALS = (
    "anonymous",
    "applicant_a",
    "applicant_b",
    "officer",
    "committee",
    "finance",
    "monitor",
    "admin",
    "intake",
)
STAFF_ROLES = ("officer", "committee", "finance", "monitor", "intake")
SMALL_PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
IBAN = "IQ98NBIQ850123456789012"
PAYEE = {"method": "bank", "account_holder": "Layla Hassan", "iban": IBAN, "bank_name": "National Bank of Iraq"}
# Objects of which each world has its own; every other object (calls) is shared.
WORLD_OBJECTS = frozenset(
    {
        "draft",
        "to_submit",
        "to_withdraw",
        "awarded",
        "document",
        "doc_to_delete",
        "grant",
        "tranche",
        "instruction",
        "flag",
        "review",
        "review_recuse",
    }
)


def canary_identity() -> dict[str, dict[str, str]]:
    """Identity values found nowhere else: each seeded application has its own, so that a response
    body holding one of them shows whose identity leaked (`Seeded.canaries`)."""
    tag = uuid.uuid4().hex[:8]
    digits = str(uuid.uuid4().int)
    return {
        "business": {
            "name": f"Canary Bakery {tag}",
            "registration_number": f"CANR{digits[:8]}",
            "address": f"Canary street {tag}",
        },
        "owner": {"full_name": f"Canary Owner {tag}", "national_id": digits[8:20], "phone": "+96477" + digits[20:28]},
    }


def canary_values(identity: dict[str, dict[str, str]]) -> dict[str, str]:
    """What must not appear in a blind body, by field: the national ID as its digits and as the
    quoted last 4 that the API shows; the phone with and without its `+`."""
    business, owner = identity["business"], identity["owner"]
    return {
        "owner.full_name": owner["full_name"],
        "owner.national_id": owner["national_id"],
        "owner.national_id_last4": f'"{owner["national_id"][-4:]}"',
        "owner.phone": owner["phone"],
        "owner.phone_digits": owner["phone"][1:],
        "business.name": business["name"],
        "business.registration_number": business["registration_number"],
        "business.address": business["address"],
    }


def payee_of(identity: dict[str, dict[str, str]]) -> dict[str, str]:
    """Payout details in the owner's name: a leak of the account holder is a leak of the name."""
    return {**PAYEE, "account_holder": identity["owner"]["full_name"]}


def eventually(check: Callable[[], T | None], what: str, timeout: float = 120.0) -> T:
    return wait_until(check, timeout, interval=0.1, what=f"seeding: {what} did not happen")


@dataclass
class Seeded:
    """Tokens by principal, emails by principal, shared objects and each world's objects."""

    stack: Stack
    client: httpx.Client
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    emails: dict[str, str] = field(default_factory=dict)
    shared: dict[str, str] = field(default_factory=dict)
    worlds: dict[str, dict[str, str]] = field(default_factory=lambda: {"A": {}, "B": {}})
    others: dict[str, dict[str, str]] = field(default_factory=dict)  # tokens of people who are not columns
    # Each seeded application's identity (`canary_identity`), by application id.
    canaries: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    owners: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)  # each world's owner identity
    photos: dict[str, str] = field(default_factory=dict)  # each world's photo of its draft (shown to reviewers)

    def world(self, principal: str, variant: str) -> str:
        own = "B" if principal == "applicant_b" else "A"
        return own if variant == "own" else ("A" if own == "B" else "B")

    def object_id(self, name: str, world: str) -> str:
        return self.worlds[world][name] if name in WORLD_OBJECTS else self.shared[name]


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, f"{response.request.method} {response.request.url}: {response.text}"
    return response.json() if response.content else None


class Seeder:
    def __init__(self, stack: Stack, client: httpx.Client) -> None:
        self.seeded = Seeded(stack=stack, client=client)
        self.client = client
        self.pool: list[dict[str, str]] = []  # applicants whose applications fill the officers' queues
        self.pool_submissions = 0

    # -- people -------------------------------------------------------------------------------
    def sign_in(self, email: str) -> dict[str, str]:
        """Staff enrolled in TOTP and signed in with a code (`Stack.token`): money and award routes
        need the second factor."""
        return self.seeded.stack.token(email, PASSWORD)

    def person(self, name: str, role: str, admin: dict[str, str]) -> dict[str, str]:
        email = f"{name}-{uuid.uuid4().hex[:8]}@security.example"
        if role == "applicant":
            _ok(
                self.client.post(
                    "/api/v1/auth/register", json={"email": email, "password": PASSWORD, "full_name": "Layla Hassan"}
                ),
                201,
            )
        else:
            _ok(
                self.client.post(
                    "/api/v1/users",
                    headers=admin,
                    json={"email": email, "password": PASSWORD, "full_name": f"Test {role}", "role": role},
                ),
                201,
            )
        self.seeded.emails[name] = email
        return self.sign_in(email)

    # -- intake -------------------------------------------------------------------------------
    def call(self, admin: dict[str, str], *, open_it: bool, **fields: Any) -> str:
        body = call_body(reviewers_per_application=1, **fields)
        call = _ok(self.client.post("/api/v1/calls", headers=admin, json=body), 201)
        if open_it:
            _ok(self.client.post(f"/api/v1/calls/{call['id']}/open", headers=admin))
        return str(call["id"])

    def draft(self, who: dict[str, str], complete: bool = True, *, call: str = "call", phone: str | None = None) -> str:
        """An application of `who` in the seeded call named `call` (one per account and call)."""
        identity = canary_identity()
        if phone is not None:
            identity["owner"]["phone"] = phone
        body = application_body(self.seeded.shared[call], **identity)
        if not complete:
            body = {"call_id": body["call_id"], "business": {"name": identity["business"]["name"]}}
        application_id = str(_ok(self.client.post("/api/v1/applications", headers=who, json=body), 201)["id"])
        self.seeded.canaries[application_id] = identity
        return application_id

    def upload(self, who: dict[str, str], application_id: str, kind: str = "registration") -> str:
        response = self.client.post(
            f"/api/v1/applications/{application_id}/documents",
            headers=who,
            data={"kind": kind},
            files={"file": ("licence.pdf", SMALL_PDF, "application/pdf")},
        )
        return str(_ok(response, 201)["id"])

    def submitted(self, who: dict[str, str], *, phone: str | None = None) -> str:
        application_id = self.draft(who, phone=phone)
        _ok(self.client.post(f"/api/v1/applications/{application_id}/submit", headers=who))
        return application_id

    def pool_submission(self, admin: dict[str, str]) -> None:
        """One more submitted application, from an applicant of its own (one per account and call)."""
        self.pool_submissions += 1
        self.pool.append(self.person(f"applicant_c{len(self.pool)}", "applicant", admin))
        self.submitted(self.pool[-1])

    def flagged(self, admin: dict[str, str]) -> str:
        """A second application with the phone of an earlier one: held for intake's review."""
        phone = "+96477" + str(uuid.uuid4().int)[:8]
        self.submitted(self.person("applicant_f1", "applicant", admin), phone=phone)
        return self.submitted(self.person("applicant_f2", "applicant", admin), phone=phone)

    def pending_reviews(self, officer: dict[str, str]) -> list[dict[str, Any]]:
        page = _ok(self.client.get("/api/v1/reviews", headers=officer, params={"status": "pending", "limit": 200}))
        return list(page["items"])

    # -- the whole seeding --------------------------------------------------------------------
    def run(self) -> Seeded:
        s, c = self.seeded, self.client
        admin = s.stack.token()
        s.headers = {"anonymous": {}, "admin": admin}
        s.emails["admin"] = "admin@e2e.example"
        for role in STAFF_ROLES:
            s.headers[role] = self.person(role, role, admin)
        officer2 = self.person("officer2", "officer", admin)
        s.others["officer2"] = officer2  # records the payout details the matrix confirms
        s.headers["applicant_a"] = self.person("applicant_a", "applicant", admin)
        s.headers["applicant_b"] = self.person("applicant_b", "applicant", admin)
        self.pool.append(self.person("applicant_c", "applicant", admin))

        s.shared["call"] = self.call(admin, open_it=True, payment_channel="bank_file")
        s.shared["draft_call"] = self.call(admin, open_it=False)
        s.shared["openable_call"] = self.call(admin, open_it=False)
        s.shared["closable_call"] = self.call(admin, open_it=True)
        s.shared["create_call"] = self.call(admin, open_it=True)  # the matrix's own POST /applications
        for side in ("draft", "to_submit", "to_withdraw"):  # one application per account and call
            s.shared[f"{side}_call_of_applicants"] = self.call(admin, open_it=True)

        officers = {"A": s.headers["officer"], "B": officer2}
        for world, who in (("A", s.headers["applicant_a"]), ("B", s.headers["applicant_b"])):
            objects = s.worlds[world]
            objects["draft"] = self.draft(who, call="draft_call_of_applicants")
            objects["document"] = self.upload(who, objects["draft"])
            objects["doc_to_delete"] = self.upload(who, objects["draft"])
            s.photos[world] = self.upload(who, objects["draft"], "photo")
            objects["to_submit"] = self.draft(who, call="to_submit_call_of_applicants")
            objects["to_withdraw"] = self.draft(who, complete=False, call="to_withdraw_call_of_applicants")
            objects["awarded"] = self.submitted(who)
            s.owners[world] = s.canaries[objects["awarded"]]

        # Score the two applications to award, whichever officer each went to.
        awarded = {s.worlds[w]["awarded"] for w in "AB"}

        def assigned() -> list[tuple[dict[str, str], dict[str, Any]]] | None:
            found = [
                (o, r) for o in officers.values() for r in self.pending_reviews(o) if r["application_id"] in awarded
            ]
            return found if len(found) == 2 else None

        for officer, review in eventually(assigned, "the assignment of the applications to award"):
            _ok(
                c.post(
                    f"/api/v1/reviews/{review['id']}/submit",
                    headers=officer,
                    json={"scores": {"jobs": 5, "viability": 9}, "comment": "Strong plan."},
                )
            )
        # Two pending reviews in each officer's queue; more applications until both have them.
        for _ in range(4):
            self.pool_submission(admin)
        deadline = time.monotonic() + 120
        while True:
            queues = {w: self.pending_reviews(o) for w, o in officers.items()}
            if all(len(q) >= 2 for q in queues.values()):
                break
            assert time.monotonic() < deadline, f"seeding: officers' queues {queues}"
            if sum(len(q) for q in queues.values()) >= 4:
                self.pool_submission(admin)  # all assigned, unevenly: the emptier queue gets the next one
            time.sleep(0.3)
        for world, queue in queues.items():
            s.worlds[world]["review"], s.worlds[world]["review_recuse"] = queue[0]["id"], queue[1]["id"]

        def scored() -> bool:
            return all(_ok(c.get(f"/api/v1/applications/{a}", headers=admin))["status"] == "scored" for a in awarded)

        eventually(scored, "the scoring of the applications to award")
        decided = _ok(
            c.post(
                f"/api/v1/calls/{s.shared['call']}/decisions",
                headers=s.headers["committee"],
                json={"decisions": [{"application_id": a, "decision": "award"} for a in sorted(awarded)]},
            )
        )
        assert len(decided["accepted"]) == 2, decided
        # A payment batch of each world's instruction: A's to read and send, B's to cancel.
        for (world, who), batch in zip(
            (("A", s.headers["applicant_a"]), ("B", s.headers["applicant_b"])),
            ("batch", "batch_to_cancel"),
            strict=True,
        ):
            self.grant(world, who)
            url = f"/api/v1/calls/{s.shared['call']}/payment-batches"
            s.shared[batch] = _ok(c.post(url, headers=s.headers["finance"]), 201)["id"]
        s.shared["flagged"] = flagged = self.flagged(admin)

        def held() -> bool:
            url = f"/api/v1/calls/{s.shared['call']}/screening-flags"
            items = _ok(c.get(url, headers=admin, params={"held_only": "true"}))
            return any(item["application_id"] == flagged for item in items)

        eventually(held, "the screening flag of the application with a shared phone")
        return s

    def grant(self, world: str, applicant: dict[str, str]) -> None:
        """The world's grant: both first milestones verified, a payee, the first tranche
        requested and approved (a payment instruction), the second one eligible; an open flag."""
        s, c = self.seeded, self.client
        objects = s.worlds[world]

        def grant_of_applicant() -> dict[str, Any] | None:
            items = _ok(c.get("/api/v1/grants", headers=applicant))["items"]
            return next((g for g in items if g["application_id"] == objects["awarded"]), None)

        grant = eventually(grant_of_applicant, f"grant {world}")
        objects["grant"] = grant["id"]
        first, second = grant["tranches"][0], grant["tranches"][1]
        monitor = s.headers["monitor"]
        for tranche in (first, second):
            url = f"/api/v1/grants/{grant['id']}/milestones/{tranche['milestone']}/verify"
            eventually(
                lambda url=url: c.post(url, headers=monitor).status_code == 200,  # type: ignore[misc]
                f"monitoring knowing grant {world}",
            )

        def eligible() -> bool:
            tranches = _ok(c.get(f"/api/v1/grants/{grant['id']}", headers=s.headers["officer"]))["tranches"]
            return all(t["status"] == "eligible" for t in tranches[:2])

        eventually(eligible, f"grant {world}'s first tranches eligible")
        _ok(c.put(f"/api/v1/grants/{grant['id']}/payee", headers=applicant, json=payee_of(s.owners[world])))
        _ok(c.post(f"/api/v1/tranches/{first['id']}/request", headers=s.headers["officer"]))
        approved = _ok(c.post(f"/api/v1/tranches/{first['id']}/approve", headers=s.headers["finance"]))
        objects["instruction"] = approved["instruction_id"]
        objects["tranche"] = second["id"]
        flag = _ok(
            c.post(
                f"/api/v1/grants/{grant['id']}/flags",
                headers=monitor,
                json={"reason": "Records incomplete at the visit.", "hold_payments": False},
            ),
            201,
        )
        objects["flag"] = flag["id"]


def today() -> str:
    return date.today().isoformat()


def now() -> str:
    return datetime.now(UTC).isoformat()
