"""The summary: read back through the gateway (not counted by the demo), shown as rich tables,
with the addresses to look at next."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.table import Table

from demo.client import Gateway, until
from demo.intake import Team, statuses
from demo.lifecycle import Outcome

STATUS_ORDER = (
    "draft",
    "submitted",
    "eligible",
    "ineligible",
    "under_review",
    "scored",
    "awarded",
    "waitlisted",
    "rejected",
    "withdrawn",
)
SEXES = ("female", "male")
DISPLACEMENT = ("idp", "returnee", "host")


@dataclass
class Summary:
    call_id: str
    code: str
    currency: str
    applications: Counter[str]
    grants: Counter[str]
    ledger: dict[str, str]
    jobs_planned: dict[str, Any]
    jobs_verified: dict[str, Any]
    tranches_paid: int
    outcome: Outcome
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def budget(self) -> Decimal:
        return Decimal(self.ledger["budget"])

    @property
    def awarded(self) -> Decimal:
        return Decimal(self.ledger["awarded"])

    @property
    def disbursed(self) -> Decimal:
        return Decimal(self.ledger["disbursed"])


async def gather(gw: Gateway, team: Team, call: dict[str, Any], outcome: Outcome, paid: int) -> Summary:
    call_id = call["id"]
    applications = await statuses(gw, team.admin, call_id)
    grants = Counter(g["status"] for g in await gw.all("/grants", team.admin, call_id=call_id))
    ledger = await gw.json("GET", f"/calls/{call_id}/ledger", headers=team.finance[0])

    async def caught_up() -> dict[str, Any] | None:  # monitoring counts payments from disbursement's events
        indicators: dict[str, Any] = await gw.json("GET", f"/calls/{call_id}/indicators", headers=team.admin)
        return indicators if Decimal(indicators["disbursed"]) == Decimal(ledger["disbursed"]) else None

    indicators = await until(caught_up, timeout=60, what="the indicators catching up", every=1.0)
    return Summary(
        call_id=call_id,
        code=call["code"],
        currency=call["currency"],
        applications=applications,
        grants=grants,
        ledger=ledger,
        jobs_planned=indicators["jobs_planned"],
        jobs_verified=indicators["jobs_verified"],
        tranches_paid=paid,
        outcome=outcome,
    )


def _money(value: Decimal, currency: str) -> str:
    return f"{currency} {value:,.2f}"


def render(
    console: Console, summary: Summary, gateway: str, sample: tuple[str, str] | None, admin: tuple[str, str]
) -> None:
    applications = Table(title=f"Applications to {summary.code}", title_justify="left")
    applications.add_column("status")
    applications.add_column("count", justify="right")
    for status in [*STATUS_ORDER, *sorted(set(summary.applications) - set(STATUS_ORDER))]:
        if summary.applications[status]:
            applications.add_row(status, str(summary.applications[status]))
    applications.add_row("[bold]total[/bold]", f"[bold]{sum(summary.applications.values())}[/bold]")

    money = Table(title="Grants and money", title_justify="left")
    money.add_column("")
    money.add_column("", justify="right")
    money.add_row("budget", _money(summary.budget, summary.currency))
    money.add_row("grants", ", ".join(f"{n} {s}" for s, n in sorted(summary.grants.items())) or "none")
    money.add_row("awarded", _money(summary.awarded, summary.currency))
    money.add_row(
        "disbursed (first tranches paid)",
        f"{_money(summary.disbursed, summary.currency)} in {summary.tranches_paid} payments",
    )
    money.add_row("left to award", _money(Decimal(summary.ledger["available"]), summary.currency))

    jobs = Table(title="Jobs", title_justify="left")
    jobs.add_column("")
    jobs.add_column("planned", justify="right")
    jobs.add_column("verified", justify="right")
    for label, key, values in (("sex", "by_sex", SEXES), ("displacement", "by_displacement_status", DISPLACEMENT)):
        for value in values:
            jobs.add_row(
                f"{label}: {value}",
                str(summary.jobs_planned[key].get(value, 0)),
                str(summary.jobs_verified[key].get(value, 0)),
            )
    jobs.add_row(
        "[bold]total[/bold]",
        f"[bold]{summary.jobs_planned['total']}[/bold]",
        f"[bold]{summary.jobs_verified['total']}[/bold]",
    )

    console.print()
    for table in (applications, money, jobs):
        console.print(table)
    for note in summary.outcome.notes:
        console.print(f"[yellow]note:[/yellow] {note}")
    if summary.outcome.refused:
        console.print(f"[yellow]note:[/yellow] the committee's decisions refused: {len(summary.outcome.refused)}")
    if summary.outcome.flagged:
        console.print(f"{len(summary.outcome.flagged)} grant(s) flagged at the visit: their payments are on hold.")
    console.print()
    console.print("[bold]Look at it[/bold]")
    for label, path in (
        ("open calls (applicants' pages)", "/"),
        ("the application form", f"/apply/{summary.code}"),
        ("an applicant's status page", "/status"),
        ("the call's dashboard", f"/dashboard/{summary.call_id}"),
        ("the API docs", "/docs"),
    ):
        console.print(f"  {label:<32} {gateway}{path}")
    if sample is not None:
        console.print(f"  sign in on /status as {sample[0]} (password {sample[1]}): an awarded applicant")
    console.print(f"  staff pages and the API: sign in as {admin[0]} (password {admin[1]})")
