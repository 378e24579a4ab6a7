"""The first stages: the fund's staff, the call, the applicants applying, screening."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from demo.client import DemoError, Gateway, Headers, until
from demo.data import PDF, Applicant, call_body, code_prefix
from demo.progress import Stages

# The demo's staff, the same accounts on every run (their password derives from the admin's):
# scoring assigns work to every officer it knows, so a second run must be able to sign in as
# the officers of the first.
STAFF: tuple[tuple[str, str], ...] = (
    ("officer", "Omar Saleh"),
    ("officer", "Huda Al-Tai"),
    ("officer", "Karim Al-Obaidi"),
    ("officer", "Nadia Murad Khalaf"),
    ("officer", "Firas Al-Hamdani"),
    ("officer", "Rana Al-Sabawi"),
    ("committee", "Dr. Sabah Al-Jubouri"),
    ("committee", "Shilan Ahmed"),
    ("finance", "Asmaa Al-Rubaie"),
    ("finance", "Tariq Al-Ani"),
    ("monitor", "Dilshad Haji"),
    ("monitor", "Maryam Toma"),
)
REVIEWABLE = ("eligible", "under_review", "scored", "awarded", "rejected", "waitlisted")


def derived_password(admin_password: str, purpose: str) -> str:
    """The demo's accounts' passwords: whoever has the admin's password can sign in as them."""
    return "demo-" + hmac.new(admin_password.encode(), f"edf demo {purpose}".encode(), hashlib.sha256).hexdigest()[:20]


@dataclass
class Team:
    admin: Headers
    officers: list[Headers]
    committee: Headers
    committee_second: Headers  # the call's quorum is two members: each decision needs both
    finance: list[Headers]
    monitors: list[Headers]


@dataclass
class Filed:
    """An applicant who applied: signed in, with the submitted application."""

    applicant: Applicant
    headers: Headers
    id: str
    reference: str


async def staff(gw: Gateway, admin: Headers, admin_password: str, stages: Stages) -> Team:
    bar = stages.start("Staff accounts", len(STAFF))
    password = derived_password(admin_password, "staff")

    async def one(role: str, number: int, name: str) -> tuple[str, Headers]:
        email = f"demo.{role}{number}@edf.local"
        await gw.request(
            "POST",
            "/users",
            headers=admin,
            ok=(201, 409),
            json={"email": email, "password": password, "full_name": name, "role": role},
        )
        try:
            headers = await gw.token(email, password)
        except DemoError:
            raise DemoError(
                f"the demo account {email} exists with another password (the admin password changed "
                "since it was made?): `make clean` starts afresh"
            ) from None
        bar.advance()
        return role, headers

    numbered = [(role, sum(1 for r, _ in STAFF[: i + 1] if r == role), name) for i, (role, name) in enumerate(STAFF)]
    signed = await asyncio.gather(*(one(*person) for person in numbered))
    by_role: dict[str, list[Headers]] = {}
    for role, headers in signed:
        by_role.setdefault(role, []).append(headers)
    return Team(
        admin=admin,
        officers=by_role["officer"],
        committee=by_role["committee"][0],
        committee_second=by_role["committee"][1],
        finance=by_role["finance"],
        monitors=by_role["monitor"],
    )


async def open_call(gw: Gateway, admin: Headers, governorate: str, applicants: int, stages: Stages) -> dict[str, Any]:
    """A new call each run: the next free code (NIN26D1, NIN26D2, …), created and opened."""
    bar = stages.start("Call created and opened", 2)
    now = datetime.now(UTC)
    prefix = code_prefix(governorate, now.year)
    taken = [c["code"][len(prefix) :] for c in await gw.all("/calls", admin) if c["code"].startswith(prefix)]
    number = max((int(n) for n in taken if n.isdigit()), default=0) + 1
    while True:
        response = await gw.request(
            "POST",
            "/calls",
            headers=admin,
            ok=(201, 409),
            json=call_body(governorate, f"{prefix}{number}", applicants, now),
        )
        if response.status_code == 201:
            break
        number += 1  # made meanwhile by someone else
    call: dict[str, Any] = response.json()
    bar.advance()
    await gw.request("POST", f"/calls/{call['id']}/open", headers=admin)
    bar.advance()
    return call


async def apply_all(
    gw: Gateway, call: dict[str, Any], applicants: list[Applicant], password: str, stages: Stages
) -> list[Filed]:
    """Each applicant signs up, signs in, fills in the application, uploads (a few), submits."""
    bar = stages.start("Applicants sign up and submit", len(applicants))
    # A few whole applicants at a time (the bar moves steadily); each sign-up and sign-in hashes a
    # password with Argon2 (64 MiB, several threads): more at once only crowds the gateway.
    at_once = asyncio.Semaphore(min(gw.concurrency, 8))

    async def one(applicant: Applicant) -> Filed:
        async with at_once:
            return await steps(applicant)

    async def steps(applicant: Applicant) -> Filed:
        owner = applicant.sections["owner"]
        person = applicant.index  # each applicant's requests come from their group's address
        await gw.request(
            "POST",
            "/auth/register",
            ok=(201, 409),
            person=person,
            json={  # 409: a retried sign-up
                "email": applicant.email,
                "password": password,
                "full_name": applicant.full_name,
                "phone": owner["phone"],
                "locale": applicant.locale,
            },
        )
        headers = await gw.token(applicant.email, password, person, staff=False)
        draft = await gw.json(
            "POST", "/applications", headers=headers, person=person, json=applicant.application(call["id"])
        )
        if applicant.document:
            await gw.request(
                "POST",
                f"/applications/{draft['id']}/documents",
                headers=headers,
                person=person,
                data={"kind": "registration"},
                files={"file": ("registration-certificate.pdf", PDF, "application/pdf")},
            )
        submitted = await gw.json("POST", f"/applications/{draft['id']}/submit", headers=headers, person=person)
        bar.advance()
        return Filed(applicant=applicant, headers=headers, id=draft["id"], reference=submitted["reference"])

    return list(await asyncio.gather(*(one(a) for a in applicants)))


async def statuses(gw: Gateway, staff_headers: Headers, call_id: str) -> Counter[str]:
    """The call's applications by status, as the applications service tells them."""
    return Counter([a["status"] async for a in gw.pages("/applications", staff_headers, call_id=call_id)])


async def remaining(gw: Gateway, staff_headers: Headers, call_id: str, *wanted: str) -> int:
    """How many of the call's applications are in these statuses (a list that shrinks: cheap to poll)."""
    return sum([len(await gw.all("/applications", staff_headers, call_id=call_id, status=s)) for s in wanted])


async def screening(gw: Gateway, admin: Headers, call_id: str, filed: int, stages: Stages) -> None:
    """Waits until every submitted application is screened (eligible or not)."""
    bar = stages.start("Screening", filed)

    async def done() -> bool:
        left = await remaining(gw, admin, call_id, "submitted")
        bar.update(filed - left)
        return left == 0

    await until(done, timeout=60 + filed * 0.5, what="screening", every=1.0)
