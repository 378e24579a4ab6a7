"""The people of the lifecycle, each a loop that reads the state through the gateway and does
the next step, so that a step lost to a fault is simply done again on the next round:
officers score their queues, two committee members send the same decisions at the same moment
(each application decided once, the repeat refused), and for each grant the monitor verifies
the next milestone, an officer sets the payout details and requests the tranche, and two
finance users race to approve it (one must win, the other gets 409)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from chaos.client import Api, UnexpectedResponse

IBAN = "IQ98NBIQ850123456789012"
PAYEE = {"method": "bank", "account_holder": "Chaos Grantee", "iban": IBAN, "bank_name": "National Bank of Iraq"}
DECIDED = ("awarded", "rejected", "waitlisted")


@dataclass
class People:
    admin: dict[str, str]
    officers: list[dict[str, str]]
    committee: list[dict[str, str]]  # two, who decide the same batch at once
    monitor: dict[str, str]
    finance: list[dict[str, str]]  # two: four eyes need someone else than the requester anyway


@dataclass
class Tally:
    """What the workload did, and what it saw that it should not have."""

    counts: Counter[str] = field(default_factory=Counter)
    instructions_won: dict[str, list[str]] = field(default_factory=dict)  # tranche id -> approvals answered 200
    anomalies: list[str] = field(default_factory=list)

    def anomaly(self, text: str) -> None:
        if len(self.anomalies) < 200:
            self.anomalies.append(text)


def scores_for(application_id: str) -> dict[str, int]:
    """The same scores from every reviewer (no divergence), different between applications."""
    h = uuid.UUID(application_id).int
    return {"jobs": 1 + h % 5, "viability": 1 + (h >> 8) % 10}


def rejected(application_id: str, reject_every: int) -> bool:
    return reject_every > 0 and uuid.UUID(application_id).int % reject_every == 0


async def officer(api: Api, headers: dict[str, str], tally: Tally, done: asyncio.Event) -> None:
    while not done.is_set():
        pending = await api.items("/reviews", headers, {"status": "pending"})
        for item in pending:
            response = await api.call(
                "POST",
                f"/reviews/{item['id']}/submit",
                headers=headers,
                ok=(200, 409),
                json={"scores": scores_for(item["application_id"])},
                what="submitting a review",
            )
            tally.counts["reviews submitted" if response.status_code == 200 else "reviews submitted again (409)"] += 1
        if not pending:
            await _pause(done, 1.0)


async def committee(
    api: Api, people: People, call_id: str, reject_every: int, tally: Tally, done: asyncio.Event
) -> None:
    while not done.is_set():
        # 404 until scoring has the call (its `call.opened` is on its way)
        ranking = await api.items(f"/calls/{call_id}/ranking", people.committee[0], missing_ok=True)
        todo = [r["application_id"] for r in ranking if r["status"] == "scored"]
        for start in range(0, len(todo), 50):
            batch = [
                {"application_id": a, "decision": "reject" if rejected(a, reject_every) else "award"}
                for a in todo[start : start + 50]
            ]
            answers = await asyncio.gather(
                *(
                    api.call(
                        "POST",
                        f"/calls/{call_id}/decisions",
                        headers=member,
                        json={"decisions": batch},
                        what="committee decisions",
                    )
                    for member in people.committee
                )
            )
            accepted = Counter(item["application_id"] for a in answers for item in a.json()["accepted"])
            for a in answers:
                for item in a.json()["accepted"]:
                    tally.counts[f"decisions: {item['decision']}"] += 1
                for item in a.json()["refused"]:
                    if item["reason"] in ("already_awarded", "unchanged"):
                        tally.counts["decisions repeated (refused as already made)"] += 1
                    else:
                        tally.anomaly(f"decision refused: {item['reason']}")
            for application_id in (a for a, n in accepted.items() if n > 1):
                tally.anomaly(f"application {application_id} decided by both committee members at once")
        if not todo:
            await _pause(done, 1.0)


async def grants(api: Api, people: People, call_id: str, tally: Tally, done: asyncio.Event) -> None:
    officer = people.officers[0]
    while not done.is_set():
        found = await api.items("/grants", officer, {"call_id": call_id})
        active = [g for g in found if g["status"] != "completed"]
        results = await asyncio.gather(*(_advance(api, people, g, tally) for g in active), return_exceptions=True)
        for result in results:
            if isinstance(result, UnexpectedResponse):
                tally.anomaly(str(result))
            elif isinstance(result, BaseException):
                raise result
        if not any(r is True for r in results):
            await _pause(done, 0.5)


async def _advance(api: Api, people: People, grant: dict[str, Any], tally: Tally) -> bool:
    """One step for the grant's next unpaid tranche; True when it asked for something."""
    officer = people.officers[0]
    if grant["payee"] is None:
        await api.call("PUT", f"/grants/{grant['id']}/payee", headers=officer, json=PAYEE, what="payout details")
        tally.counts["payout details set"] += 1
        return True
    if grant["payee"].get("status") == "pending":  # recorded by staff: another officer confirms them
        await api.call(
            "POST",
            f"/grants/{grant['id']}/payee/confirm",
            headers=people.officers[-1],
            json={"payee_id": grant["payee"]["id"]},
            ok=(200, 409),
            what="payout details confirmed",
        )
        tally.counts["payout details confirmed"] += 1
        return True
    unpaid = [t for t in grant["tranches"] if t["status"] != "paid"]
    if not unpaid:
        return False  # all paid: `completed` is on its way
    tranche = min(unpaid, key=lambda t: t["seq"])
    status = tranche["status"]
    if status == "planned":
        # 404/409 while monitoring has not got the grant yet (its event is on its way).
        response = await api.call(
            "POST",
            f"/grants/{grant['id']}/milestones/{tranche['milestone']}/verify",
            headers=people.monitor,
            ok=(200, 404, 409),
            what="milestone verification",
        )
        tally.counts[
            "milestone verifications answered 200 (repeats included)"
            if response.status_code == 200
            else "milestone verifications too early (404/409)"
        ] += 1
        return response.status_code == 200
    if status in ("eligible", "failed"):
        response = await api.call(
            "POST", f"/tranches/{tranche['id']}/request", headers=officer, ok=(200, 409), what="tranche request"
        )
        tally.counts["tranches requested" if response.status_code == 200 else "requests refused (409)"] += 1
        if status == "failed" and response.status_code == 200:
            tally.counts["failed payments requested again"] += 1
        return True
    if status == "requested":
        await _approve(api, people, tranche["id"], tally)
        return True
    return False  # instructed: the finance system has it


async def _approve(api: Api, people: People, tranche_id: str, tally: Tally) -> None:
    """Both finance users approve at once: exactly one approval may create an instruction."""
    answers = await asyncio.gather(
        *(
            api.call("POST", f"/tranches/{tranche_id}/approve", headers=finance, ok=(200, 409), what="approval")
            for finance in people.finance
        )
    )
    won = [a.json()["instruction_id"] for a in answers if a.status_code == 200]
    tally.counts["approvals answered 200"] += len(won)
    tally.counts["approvals answered 409"] += len(answers) - len(won)
    if won:
        tally.instructions_won.setdefault(tranche_id, []).extend(won)
    if len(won) > 1:
        tally.anomaly(f"two approvals of tranche {tranche_id} both answered 200")


async def _pause(done: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(done.wait(), seconds)
