"""No single account can get a payment instructed to an account it entered (#15 §5).

Disbursement and monitoring run in-process on a real JetStream (milestones and holds reach
disbursement as monitoring's events, as in production). For every role as the *attacker* (one
account) and every other role as its *helper* (a second account of that role: a pair), and for
every attacker with the whole organisation as helpers (one account of each role), the attacker
tries every route that matters, in rounds with the helpers:

    record a payee (an account of its own), confirm a payee, verify the milestone, record a visit
    that verifies it, raise and resolve a hold, request the tranche, approve it, settle it

and the helpers do all the routine work of their roles without looking at the account: verify the
milestone, record visits, resolve open holds, request eligible tranches, approve requested ones,
settle instructed ones. What a helper never does is confirm payout details: the confirmation is
the second person's check of the account itself (the grantee knows their own account; another
officer checks it), so it is never routine. The test then asserts that no payment instruction
pays an account the attacker entered.

The grantee is the beneficiary: an account they enter for their own grant is theirs by design and
needs no second person. As an attacker the grantee is checked to be refused every staff route.

On `main` before #15 this fails: an officer records their own account, verifies the milestone (or
a monitor does), requests the tranche, and the finance helper approves it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from shared.auth import Role
from tests.support.apps import bearer, wait_until
from tests.support.disbursement import Disbursement, disbursement_service
from tests.support.monitoring import Monitoring, monitoring_service
from tests.support.natsd import NatsServer

pytestmark = pytest.mark.timeout(600)

ROLES = ("officer", "monitor", "finance", "committee", "admin", "grantee")
GRANTEE_IBAN = "IQ98NBIQ850123456789012"
ATTACKER_IBAN = "IQ20CBIQ861800101010500"  # an account of the attacker's


@dataclass
class Account:
    role: str
    id: uuid.UUID
    headers: dict[str, str]


def account(role: str, grantee_id: uuid.UUID) -> Account:
    if role == "grantee":
        return Account(role, grantee_id, bearer(Role.applicant, grantee_id))
    user_id = uuid.uuid4()
    return Account(role, user_id, bearer(Role(role), user_id))


@dataclass
class World:
    """One grant, the two services, and what has been tried on it."""

    disbursement: Disbursement
    monitoring: Monitoring
    grant: dict[str, Any]
    answers: dict[tuple[str, str], set[int]]

    @property
    def grant_id(self) -> str:
        return str(self.grant["id"])

    @property
    def tranche(self) -> dict[str, Any]:
        return dict(self.disbursement.grant(self.grant_id)["tranches"][0])

    def note(self, who: Account, route: str, response: httpx.Response) -> httpx.Response:
        self.answers.setdefault((who.role, route), set()).add(response.status_code)
        assert response.status_code < 500, f"{route} as {who.role}: {response.status_code} {response.text}"
        return response

    def view(self) -> dict[str, Any]:
        return self.monitoring.monitoring(self.grant_id)

    def synced(self) -> None:
        """Until disbursement reflects monitoring's milestones and holds (events through NATS)."""
        milestone = self.grant["tranches"][0]["milestone"]

        def caught_up() -> bool:
            view, grant = self.view(), self.disbursement.grant(self.grant_id)
            holding = any(f["hold_payments"] and f["status"] == "open" for f in view["flags"])
            verified = any(m["key"] == milestone and m["verified_at"] for m in view["milestones"])
            eligible = grant["tranches"][0]["status"] != "planned"
            return (grant["status"] == "on_hold") == holding and verified == eligible

        wait_until(caught_up, what="disbursement reflecting monitoring's events")

    # --- the routes ---
    def record_payee(self, who: Account) -> None:
        body = {"method": "bank", "account_holder": f"Account of {who.role}", "iban": ATTACKER_IBAN}
        url = f"/api/v1/grants/{self.grant_id}/payee"
        self.note(who, "record payee", self.disbursement.client.put(url, json=body, headers=who.headers))

    def confirm_payee(self, who: Account) -> None:
        found = self.disbursement.client.get(f"/api/v1/grants/{self.grant_id}", headers=bearer(Role.officer))
        payee = found.json()["payee"]
        payee_id = payee["id"] if payee else str(uuid.uuid4())
        url = f"/api/v1/grants/{self.grant_id}/payee/confirm"
        response = self.disbursement.client.post(url, json={"payee_id": payee_id}, headers=who.headers)
        self.note(who, "confirm payee", response)

    def verify(self, who: Account) -> None:
        key = self.grant["tranches"][0]["milestone"]
        url = f"/api/v1/grants/{self.grant_id}/milestones/{key}/verify"
        self.note(who, "verify milestone", self.monitoring.client.post(url, json={}, headers=who.headers))

    def visit(self, who: Account) -> None:
        key = self.grant["tranches"][0]["milestone"]
        self.note(
            who, "visit with milestone", self.monitoring.visit(self.grant_id, who.headers, milestones_verified=[key])
        )

    def hold_and_resolve(self, who: Account) -> None:
        url = f"/api/v1/grants/{self.grant_id}/flags"
        raised = self.monitoring.client.post(
            url, json={"reason": "A check.", "hold_payments": True}, headers=who.headers
        )
        self.note(who, "flag hold", raised)
        if raised.status_code == 201:
            self.synced()
            self.resolve_open(who)

    def resolve_open(self, who: Account) -> None:
        for flag in self.view()["flags"]:
            if flag["status"] == "open":
                resolved = self.monitoring.client.post(f"/api/v1/flags/{flag['id']}/resolve", headers=who.headers)
                self.note(who, "resolve hold", resolved)

    def request(self, who: Account) -> None:
        url = f"/api/v1/tranches/{self.tranche['id']}/request"
        self.note(who, "request tranche", self.disbursement.client.post(url, headers=who.headers))

    def approve(self, who: Account) -> None:
        url = f"/api/v1/tranches/{self.tranche['id']}/approve"
        self.note(who, "approve tranche", self.disbursement.client.post(url, headers=who.headers))

    def settle(self, who: Account) -> None:
        instruction = self.tranche["instruction_id"]
        if instruction is None:
            instruction = str(uuid.uuid4())
        body = {"status": "settled", "at": datetime.now(UTC).isoformat(), "bank_reference": "B-1"}
        url = f"/api/v1/payments/{instruction}/settlement"
        self.note(who, "settle", self.disbursement.client.post(url, json=body, headers=who.headers))

    def attack(self, who: Account) -> None:
        """Every route, in an order that would serve the attacker."""
        for step in (self.record_payee, self.confirm_payee, self.verify, self.visit, self.hold_and_resolve):
            step(who)
            self.synced()
        for step in (self.request, self.approve, self.settle):
            step(who)

    def routine(self, who: Account) -> None:
        """A helper's honest work, blind to the account: everything but recording or confirming it."""
        for step in (self.verify, self.visit, self.resolve_open):
            step(who)
            self.synced()
        for step in (self.request, self.approve, self.settle):
            step(who)

    def paid_to_accounts_entered_by(self, who: Account) -> int:
        engine = create_engine(self.disbursement.database_url)
        try:
            with engine.connect() as connection:
                value: object = who.id.hex if engine.dialect.name == "sqlite" else who.id
                return int(
                    connection.execute(
                        text(
                            "SELECT count(*) FROM instructions i JOIN payees p ON p.id = i.payee_id "
                            "WHERE p.recorded_by = :who"
                        ),
                        {"who": value},
                    ).scalar_one()
                )
        finally:
            engine.dispose()


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Disbursement, Monitoring]]:
    """One pair of services for every scenario (each has its own grant), on SQLite."""
    base = tmp_path_factory.mktemp("duties")
    server = NatsServer(base / "nats")
    server.start()
    try:
        with (
            disbursement_service(f"sqlite:///{base / 'disbursement.db'}", server.url) as disbursement,
            monitoring_service(f"sqlite:///{base / 'monitoring.db'}", server.url) as monitoring,
        ):
            yield disbursement, monitoring
    finally:
        server.stop()


def new_world(services: tuple[Disbursement, Monitoring], call_id: uuid.UUID, grantee_id: uuid.UUID) -> World:
    disbursement, monitoring = services
    grant = disbursement.award(call_id, grantee_id)
    known: Callable[[], bool] = lambda: (  # noqa: E731
        monitoring.client.get(f"/api/v1/grants/{grant['id']}/monitoring", headers=bearer(Role.officer)).status_code
        == 200
    )
    wait_until(known, what="monitoring knowing the grant")
    return World(disbursement, monitoring, grant, {})


# Every pair (attacker, another account of a role; no second grantee of the same grant), then every
# attacker with one account of every role beside it.
SCENARIOS: list[tuple[str, tuple[str, ...]]] = [(a, (h,)) for a in ROLES for h in ROLES if not a == h == "grantee"]
SCENARIOS += [(a, tuple(r for r in ROLES if not a == r == "grantee")) for a in ROLES]


@pytest.fixture(scope="module")
def call_id(services: tuple[Disbursement, Monitoring]) -> uuid.UUID:
    return services[0].open_call(budget="100000000.00")


def scenario_id(value: object) -> str:
    return "+".join(value) if isinstance(value, tuple) else str(value)


@pytest.mark.parametrize(("attacker_role", "helper_roles"), SCENARIOS, ids=scenario_id)
def test_no_single_account_gets_a_payment_to_an_account_it_entered(
    services: tuple[Disbursement, Monitoring], call_id: uuid.UUID, attacker_role: str, helper_roles: tuple[str, ...]
) -> None:
    grantee_id = uuid.uuid4()
    world = new_world(services, call_id, grantee_id)
    attacker = account(attacker_role, grantee_id)
    # A second account of each helper role (of the attacker's own role too: another person).
    helpers = [account(role, grantee_id) for role in helper_roles]
    for _ in range(2):
        world.attack(attacker)
        for helper in helpers:
            world.routine(helper)
    world.attack(attacker)  # a last try after the helpers' work

    if attacker_role == "grantee":  # the beneficiary's own account; staff routes are not theirs
        staff_routes = ("verify milestone", "visit with milestone", "flag hold", "request tranche", "approve tranche")
        assert all(world.answers[("grantee", route)] == {403} for route in staff_routes), world.answers
        return
    assert world.paid_to_accounts_entered_by(attacker) == 0, (
        f"{attacker_role} with {helper_roles} got a payment to an account it entered: {world.answers}"
    )


def test_the_routes_do_pay_when_the_grantee_enters_their_own_account(
    services: tuple[Disbursement, Monitoring], call_id: uuid.UUID
) -> None:
    """The control: the same routes and helpers pay the grantee's own account (so the scenarios
    above are refused by the rules, not by a broken test)."""
    grantee_id = uuid.uuid4()
    world = new_world(services, call_id, grantee_id)
    grantee = account("grantee", grantee_id)
    body = {"method": "bank", "account_holder": "Layla Hassan", "iban": GRANTEE_IBAN}
    url = f"/api/v1/grants/{world.grant_id}/payee"
    assert world.note(
        grantee, "record payee", world.disbursement.client.put(url, json=body, headers=grantee.headers)
    ).is_success
    for role in ("monitor", "officer", "finance"):
        world.routine(account(role, grantee_id))
    assert world.paid_to_accounts_entered_by(grantee) == 1, world.answers
    assert world.tranche["status"] == "paid"
