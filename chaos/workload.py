"""The full lifecycle through the gateway: the admin opens a call and creates the staff,
applicants sign up and submit (every `ineligible_every`-th from a governorate the call does not
take), officers score, the committee awards (rejecting every `reject_every`-th), and every
grant's tranches are verified, requested, approved and paid by the finance consumer.

It ends when every submitted application is screened and decided, and every grant is completed;
or fails after `timeout` seconds, saying where it stood."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any

from chaos import actors
from chaos.actors import People, Tally
from chaos.client import RETRIED_STATUSES, Api, UnexpectedResponse
from devstack.samples import application_body, call_body

OPEN = ("submitted", "eligible", "under_review", "scored")
GRANT = Decimal("18000.00")


@dataclass(frozen=True)
class Plan:
    applicants: int
    officers: int = 3
    ineligible_every: int = 10
    reject_every: int = 6
    double_submit_every: int = 4
    applicants_at_once: int = 8  # applicants filling in their forms at the same time
    stall_timeout: float = 300.0  # the run fails when nothing moves for this long
    timeout: float = 1200.0


@dataclass
class Snapshot:
    at: float
    statuses: Counter[str] = field(default_factory=Counter)
    grants: int = 0
    completed: int = 0
    tranches_paid: int = 0

    def line(self, submitted: int) -> str:
        s = self.statuses
        return (
            f"t={self.at:5.0f}s submitted {submitted}, screened {submitted - s['submitted']}, "
            f"open {sum(s[k] for k in OPEN)}, awarded {s['awarded']}, rejected {s['rejected']}, "
            f"ineligible {s['ineligible']}; grants {self.grants} ({self.completed} completed), "
            f"tranches paid {self.tranches_paid}"
        )


class Workload:
    def __init__(
        self, api: Api, plan: Plan, run_id: str, admin_email: str, admin_password: str, say: Callable[[str], None]
    ) -> None:
        self.api = api
        self.plan = plan
        self.run_id = run_id
        self.admin_login = (admin_email, admin_password)
        self.say = say
        self.tally = Tally()
        self.submitted: set[str] = set()
        self.call_id = ""
        self.snapshot = Snapshot(at=0.0)
        self.started = time.monotonic()

    def email(self, kind: str, n: int) -> str:
        return f"{kind}-{n}-{self.run_id}@chaos.example"

    async def run(self) -> None:
        self.started = time.monotonic()
        people = await self.setup()
        done = asyncio.Event()
        loops = [
            self._supervised(f"officer {i}", done, partial(actors.officer, self.api, h, self.tally, done))
            for i, h in enumerate(people.officers)
        ]
        loops.append(
            self._supervised(
                "committee",
                done,
                lambda: actors.committee(self.api, people, self.call_id, self.plan.reject_every, self.tally, done),
            )
        )
        loops.append(
            self._supervised("grants", done, lambda: actors.grants(self.api, people, self.call_id, self.tally, done))
        )
        tasks = [asyncio.create_task(loop) for loop in loops]
        signing_up = asyncio.Semaphore(self.plan.applicants_at_once)

        async def applicant(n: int) -> None:
            async with signing_up:
                await self.applicant(n)

        try:
            applicants = asyncio.gather(*(applicant(n) for n in range(self.plan.applicants)))
            await asyncio.wait_for(self._until_complete(people, applicants, tasks), self.plan.timeout)
        except TimeoutError:
            raise RuntimeError(
                f"the lifecycle did not complete within {self.plan.timeout:.0f}s; "
                f"last seen: {self.snapshot.line(len(self.submitted))}"
            ) from None
        finally:
            done.set()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def setup(self) -> People:
        admin = await self.api.token(*self.admin_login)
        officers = [await self.api.staff(admin, self.email("officer", i), "officer") for i in range(self.plan.officers)]
        people = People(
            admin=admin,
            officers=officers,
            committee=[await self.api.staff(admin, self.email("committee", i), "committee") for i in range(2)],
            monitor=await self.api.staff(admin, self.email("monitor", 0), "monitor"),
            finance=[await self.api.staff(admin, self.email("finance", i), "finance") for i in range(2)],
        )
        budget = GRANT * self.plan.applicants + Decimal("100000.00")
        body = call_body(budget=str(budget), reviewers_per_application=min(2, self.plan.officers))
        self.call_id = await self._create_once(admin, "/calls", body, lambda c: c["code"] == body["code"])
        await self.api.call("POST", f"/calls/{self.call_id}/open", headers=admin, ok=(200, 409), what="opening")
        call = (await self.api.call("GET", f"/calls/{self.call_id}", headers=admin)).json()
        if call["status"] != "open":
            raise RuntimeError(f"the call is {call['status']} after opening it")
        self.say(
            f"call {body['code']} open; {self.plan.officers} officers, two committee members, a monitor "
            "and two finance users created"
        )
        return people

    async def applicant(self, n: int) -> None:
        email = self.email("applicant", n)
        await self.api.register(email, f"Applicant {n}")
        headers = await self.api.token(email)
        sections: dict[str, Any] = {"owner": {"full_name": f"Applicant {n}"}}
        if self.plan.ineligible_every and n % self.plan.ineligible_every == self.plan.ineligible_every - 1:
            sections["business"] = {"governorate": "IQ-BA"}
        body = application_body(self.call_id, **sections)
        application_id = await self._create_once(headers, "/applications", body, lambda a: a["call_id"] == self.call_id)
        # Every `double_submit_every`-th applicant presses submit twice at once (one must win).
        presses = 2 if self.plan.double_submit_every and n % self.plan.double_submit_every == 0 else 1
        answers = await asyncio.gather(
            *(
                self.api.call(
                    "POST", f"/applications/{application_id}/submit", headers=headers, ok=(200, 409), what="submitting"
                )
                for _ in range(presses)
            )
        )
        if sum(a.status_code == 200 for a in answers) > 1:
            self.tally.anomaly(f"application {application_id} submitted twice, both answered 200")
        if all(a.status_code == 409 for a in answers):  # submitted by an attempt whose answer was lost?
            found = (await self.api.call("GET", f"/applications/{application_id}", headers=headers)).json()
            if found["status"] == "draft":
                raise UnexpectedResponse("submitting", answers[0])
        if repeated := sum(a.status_code == 409 for a in answers):
            self.tally.counts["submissions answered 409 (already submitted)"] += repeated
        self.submitted.add(application_id)

    async def _create_once(
        self, headers: dict[str, str], path: str, body: dict[str, Any], mine: Callable[[dict[str, Any]], bool]
    ) -> str:
        """POST is not idempotent: after an attempt without an answer, look before creating again."""
        while True:
            existing = [item for item in await self.api.items(path, headers) if mine(item)]
            if existing:
                if len(existing) > 1:
                    self.tally.counts[f"{path} created twice by retries"] += 1
                return str(existing[0]["id"])
            response = await self.api.once("POST", path, json=body, headers=headers)
            if response is not None and response.status_code == 201:
                return str(response.json()["id"])
            if response is not None and response.status_code not in RETRIED_STATUSES:
                raise UnexpectedResponse(f"POST {path}", response)
            self.tally.counts[f"POST {path} without an answer"] += 1
            await asyncio.sleep(1.0)

    async def _supervised(self, name: str, done: asyncio.Event, loop: Callable[[], Awaitable[None]]) -> None:
        """An actor whose round failed starts again; what failed is kept as an anomaly."""
        while not done.is_set():
            try:
                await loop()
            except UnexpectedResponse as exc:
                self.tally.anomaly(f"{name}: {exc}")
                await asyncio.sleep(1.0)

    async def _until_complete(
        self, people: People, applicants: Awaitable[Any], actors_running: list[asyncio.Task[None]]
    ) -> None:
        applicants_task = asyncio.ensure_future(applicants)
        last_said = 0.0
        seen: tuple[Any, ...] = ()
        moved = time.monotonic()
        while True:
            for task in actors_running:
                if task.done():
                    task.result()  # an actor that gave up (a request that never recovered) ends the run
            snapshot = await self.observe(people)
            state = (
                len(self.submitted),
                sorted(snapshot.statuses.items()),
                snapshot.grants,
                snapshot.completed,
                snapshot.tranches_paid,
            )
            if state != seen:
                seen, moved = state, time.monotonic()
            elif time.monotonic() - moved > self.plan.stall_timeout:
                raise RuntimeError(
                    f"no progress for {self.plan.stall_timeout:.0f}s; last seen: {snapshot.line(len(self.submitted))}"
                )
            if time.monotonic() - last_said > 10:
                self.say(snapshot.line(len(self.submitted)))
                last_said = time.monotonic()
            if applicants_task.done():
                applicants_task.result()  # raises what an applicant could not get past
                if self._complete(snapshot):
                    self.say(snapshot.line(len(self.submitted)))
                    return
            await asyncio.sleep(2.0)

    async def observe(self, people: People) -> Snapshot:
        applications = await self.api.items("/applications", people.admin, {"call_id": self.call_id})
        grants = await self.api.items("/grants", people.officers[0], {"call_id": self.call_id})
        self.snapshot = Snapshot(
            at=time.monotonic() - self.started,
            statuses=Counter(a["status"] for a in applications if a["id"] in self.submitted),
            grants=len(grants),
            completed=sum(g["status"] == "completed" for g in grants),
            tranches_paid=sum(t["status"] == "paid" for g in grants for t in g["tranches"]),
        )
        return self.snapshot

    def _complete(self, s: Snapshot) -> bool:
        return (
            sum(s.statuses.values()) == len(self.submitted)
            and not any(s.statuses[k] for k in OPEN)
            and s.grants == s.statuses["awarded"]
            and s.completed == s.grants
        )

    def figures(self) -> dict[str, Any]:
        s = self.snapshot.statuses
        return {
            "applicants": self.plan.applicants,
            "applications submitted": len(self.submitted),
            "screened eligible": len(self.submitted) - s["ineligible"],
            "screened ineligible": s["ineligible"],
            "awarded": s["awarded"],
            "rejected": s["rejected"],
            "grants completed": self.snapshot.completed,
            "tranches paid": self.snapshot.tranches_paid,
            **dict(sorted(self.tally.counts.items())),
        }
