"""After screening: officers score, the committee decides, grants appear, monitors visit and
verify, grantees give their payout details, officers request and finance approves the first
tranche, and the finance consumer pays it."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from demo.client import DemoError, Gateway, until
from demo.data import review_scores, visit_jobs, visit_location
from demo.intake import REVIEWABLE, Filed, Team, remaining, statuses
from demo.progress import Stages

STALL_SECONDS = 45.0  # no review of this call left in the demo officers' queues for this long: move on
FLAG_EVERY = 25  # one grant in so many is found closed at the verification visit (payments held)


def first(grant: dict[str, Any]) -> dict[str, Any]:
    """The grant's first tranche."""
    return dict(min(grant["tranches"], key=lambda t: t["seq"]))


@dataclass
class Outcome:
    """What the later stages did, for the summary."""

    scored: int = 0
    awarded: int = 0
    waitlisted: int = 0
    rejected: int = 0
    refused: list[dict[str, Any]] = field(default_factory=list)
    grants: list[dict[str, Any]] = field(default_factory=list)
    flagged: set[str] = field(default_factory=set)
    released: dict[str, str] = field(default_factory=dict)  # tranche id -> instruction id
    notes: list[str] = field(default_factory=list)


async def review(
    gw: Gateway, team: Team, call_id: str, filed: dict[str, Filed], seed: int, stages: Stages, outcome: Outcome
) -> None:
    """Each officer works through their queue until every eligible application is scored."""
    counts = await statuses(gw, team.admin, call_id)
    to_score = sum(counts[s] for s in REVIEWABLE)
    bar = stages.start("Officers score (blind, 2 each)", to_score)
    last_work = time.monotonic()

    async def work(number: int) -> int:
        headers = team.officers[number]
        queue = [r for r in await gw.all("/reviews", headers, status="pending") if r["call_id"] == call_id]
        await asyncio.gather(
            *(
                gw.request(
                    "POST",
                    f"/reviews/{item['id']}/submit",
                    headers=headers,
                    json={
                        "scores": review_scores(filed[item["application_id"]].applicant, number, seed),
                        "comment": "Scored by the demo's synthetic officer.",
                    },
                )
                for item in queue
            )
        )
        return len(queue)

    while True:
        worked = sum(await asyncio.gather(*(work(n) for n in range(len(team.officers)))))
        scored = to_score - await remaining(gw, team.admin, call_id, "eligible", "under_review")
        bar.update(scored)
        if scored >= to_score:
            break
        if worked:
            last_work = time.monotonic()
        elif time.monotonic() - last_work > STALL_SECONDS:
            outcome.notes.append(f"{to_score - scored} application(s) wait for reviewers outside the demo")
            break
        await asyncio.sleep(0.5)
    outcome.scored = scored


async def decide(gw: Gateway, team: Team, call_id: str, stages: Stages, outcome: Outcome) -> None:
    """The committee awards the selection proposal (within budget and quotas), waitlists the next
    few of the ranking and rejects the rest: one member proposes, a second agrees (the call's
    quorum of two)."""
    ranking = [r for r in await gw.all(f"/calls/{call_id}/ranking", team.committee) if r["status"] == "scored"]
    bar = stages.start("Committee decides", len(ranking))
    selection = await gw.json("GET", f"/calls/{call_id}/selection", headers=team.committee)
    proposed = {p["application_id"]: p["amount"] for p in selection["proposed"]}
    rest = [r["application_id"] for r in ranking if r["application_id"] not in proposed]
    waitlist = rest[: max(1, len(rest) // 8)] if rest else []
    decisions = [
        {
            "application_id": a,
            "decision": "award",
            "amount": amount,
            "reason": "Within the budget and the quotas; a strong plan",
        }
        for a, amount in proposed.items()
    ]
    decisions += [
        {"application_id": a, "decision": "waitlist", "reason": "Next in line if money is left"} for a in waitlist
    ]
    decisions += [
        {"application_id": a, "decision": "reject", "reason": "Below the funding line"} for a in rest[len(waitlist) :]
    ]
    for start in range(0, len(decisions), 200):
        batch = decisions[start : start + 200]
        # The call's quorum is two: the first member's decisions are proposals, the second's apply them.
        first = await gw.json("POST", f"/calls/{call_id}/decisions", headers=team.committee, json={"decisions": batch})
        outcome.refused += first["refused"]
        agreed = [d for d in batch if d["application_id"] not in {r["application_id"] for r in first["refused"]}]
        if not agreed:
            bar.advance(len(batch))
            continue
        answer = await gw.json(
            "POST", f"/calls/{call_id}/decisions", headers=team.committee_second, json={"decisions": agreed}
        )
        kinds = {d["application_id"]: d["decision"] for d in batch}
        for accepted in answer["accepted"]:
            kind = kinds[accepted["application_id"]]
            outcome.awarded += kind == "award"
            outcome.waitlisted += kind == "waitlist"
            outcome.rejected += kind == "reject"
        outcome.refused += answer["refused"]
        bar.advance(len(batch))

    async def told() -> bool:  # the applications service learns the decisions from scoring's events
        return await remaining(gw, team.admin, call_id, "scored") <= len(outcome.refused)

    await until(told, timeout=120, what="the decisions reaching the applications", every=1.0)


async def grants(gw: Gateway, team: Team, call_id: str, stages: Stages, outcome: Outcome) -> None:
    bar = stages.start("Grants created (disbursement)", outcome.awarded)

    async def all_there() -> list[dict[str, Any]] | None:
        found = await gw.all("/grants", team.admin, call_id=call_id)
        bar.update(len(found))
        return found if len(found) >= outcome.awarded else None

    outcome.grants = await until(all_there, timeout=60 + outcome.awarded, what="grants", every=1.0)


async def visits(gw: Gateway, team: Team, filed: dict[str, Filed], seed: int, stages: Stages, outcome: Outcome) -> None:
    """A verification visit per grant: the first milestone verified and the new jobs seen; one
    grant in FLAG_EVERY is found closed and flagged with its payments held."""
    bar = stages.start("Monitors visit and verify", len(outcome.grants))
    today = datetime.now(UTC).date()

    async def one(position: int, grant: dict[str, Any]) -> None:
        applicant = filed[grant["application_id"]].applicant
        body: dict[str, Any] = {
            "visited_on": today.isoformat(),
            "kind": "verification",
            "location": visit_location(applicant, seed),
        }
        if position % FLAG_EVERY == FLAG_EVERY // 2:
            body |= {
                "findings": "The workshop was closed; the equipment was not found.",
                "flag": {"reason": "Business closed at the verification visit", "hold_payments": True},
            }
            outcome.flagged.add(grant["id"])
        else:
            body |= {
                "findings": "Agreement signed; the business is working and the new staff are there.",
                "milestones_verified": [first(grant)["milestone"]],
                "jobs": visit_jobs(applicant, today, seed),
            }
        monitor = team.monitors[position % len(team.monitors)]

        async def recorded() -> bool:  # monitoring learns of the grant from disbursement's event
            response = await gw.request(
                "POST", f"/grants/{grant['id']}/visits", headers=monitor, json=body, ok=(201, 404, 409)
            )
            return response.status_code == 201

        await until(recorded, timeout=120, what=f"the visit of grant {grant['reference']}", every=1.0)
        bar.advance()

    ordered = sorted(outcome.grants, key=lambda g: g["reference"])
    await asyncio.gather(*(one(i, g) for i, g in enumerate(ordered)))


async def release(
    gw: Gateway, team: Team, call_id: str, filed: dict[str, Filed], stages: Stages, outcome: Outcome
) -> None:
    """Grantees give their payout details; as each first tranche becomes eligible an officer
    requests it and a finance user (never the requester) approves it: a payment instruction."""
    payable = [g for g in outcome.grants if g["id"] not in outcome.flagged]
    bar = stages.start("Payout details, request, approve", len(payable))
    await asyncio.gather(
        *(
            gw.request(
                "PUT",
                f"/grants/{g['id']}/payee",
                headers=filed[g["application_id"]].headers,
                json=filed[g["application_id"]].applicant.payee,
            )
            for g in payable
        )
    )
    wanted = {g["id"] for g in payable}

    async def one(number: int, tranche: dict[str, Any]) -> None:
        officer = team.officers[number % len(team.officers)]
        finance = team.finance[number % len(team.finance)]
        await gw.request("POST", f"/tranches/{tranche['id']}/request", headers=officer)
        approved = await gw.json("POST", f"/tranches/{tranche['id']}/approve", headers=finance)
        outcome.released[tranche["id"]] = approved["instruction_id"]
        bar.advance()

    async def all_released() -> bool:
        current = await gw.all("/grants", team.admin, call_id=call_id)
        ready = [first(g) for g in current if g["id"] in wanted and first(g)["status"] == "eligible"]
        await asyncio.gather(*(one(len(outcome.released) + i, t) for i, t in enumerate(ready)))
        return len(outcome.released) >= len(wanted)

    await until(all_released, timeout=120 + len(wanted), what="the first tranches becoming eligible", every=1.0)


async def payments(
    gw: Gateway, team: Team, call_id: str, stages: Stages, outcome: Outcome, finance_sim: asyncio.Task[None]
) -> int:
    """Waits until the finance consumer has paid every released tranche; the number paid."""
    bar = stages.start("Finance consumer pays", len(outcome.released))

    async def all_paid() -> int | None:
        if finance_sim.done():
            problem = finance_sim.exception() if not finance_sim.cancelled() else None
            raise DemoError(f"the finance consumer stopped: {problem!r}")
        current = await gw.all("/grants", team.finance[0], call_id=call_id)
        paid = sum(1 for g in current for t in g["tranches"] if t["id"] in outcome.released and t["status"] == "paid")
        bar.update(paid)
        return paid if paid >= len(outcome.released) else None

    if not outcome.released:
        return 0
    return await until(all_paid, timeout=60 + len(outcome.released), what="the payments", every=1.0)
