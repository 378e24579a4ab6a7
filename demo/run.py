"""The demo from start to end: every stage against the gateway, the reference finance consumer
(`cli.finance_sim`, in this process) paying the instructions, then the summary."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from cli.finance_sim import PaymentRecord, serve
from demo import intake, lifecycle, report
from demo.client import Gateway
from demo.data import Generator
from demo.progress import Stages
from demo.target import Target
from devstack.mfa import TotpStore
from shared.nats_auth import read_credentials

FINANCE_DURABLE = "finance-sim"  # the same consumer as `edf finance-sim`: either may pay


@dataclass(frozen=True)
class Options:
    applicants: int = 300
    seed: int = 1
    governorate: str = "IQ-NI"
    concurrency: int = 16


@contextlib.contextmanager
def _quiet_to(path: Path) -> Iterator[None]:
    """The finance consumer says a line per payment: into its log, not between the progress bars."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as log, contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        yield


@contextlib.asynccontextmanager
async def _finance_consumer(target: Target) -> AsyncIterator[asyncio.Task[None]]:
    """`edf finance-sim`'s consumer, running while the demo needs it."""

    async def serving() -> None:
        credentials = target.var_dir / "nats" / "finance.json"  # the finance NATS user (`make run`)
        login = read_credentials(credentials)[1] if credentials.exists() else None
        with closing(PaymentRecord(target.var_dir / "finance-sim.db")) as record:
            await serve(target.nats_url, record, FINANCE_DURABLE, 0, stop, login)

    stop = asyncio.Event()
    task = asyncio.create_task(serving())
    try:
        yield task
    finally:
        stop.set()
        with contextlib.suppress(Exception):  # it failed already: the payments stage said so
            await asyncio.wait_for(task, 10)


async def run_demo(target: Target, options: Options, console: Console) -> report.Summary:
    started = time.monotonic()
    generator = Generator(options.seed, options.governorate)
    admin_password = target.admin_password()
    gw = Gateway(target.gateway, options.concurrency, TotpStore.of(target.var_dir))
    try:
        admin = await gw.token(target.admin_email, admin_password)
        with Stages(console) as stages, _quiet_to(target.var_dir / "finance-sim.log"):
            async with _finance_consumer(target) as finance_sim:
                team = await intake.staff(gw, admin, admin_password, stages)
                call = await intake.open_call(gw, admin, options.governorate, options.applicants, stages)
                people = generator.applicants(options.applicants, call["code"])
                password = intake.derived_password(admin_password, "applicants")
                filed = {f.id: f for f in await intake.apply_all(gw, call, people, password, stages)}
                await intake.screening(gw, admin, call["id"], len(filed), stages)
                outcome = lifecycle.Outcome()
                await lifecycle.review(gw, team, call["id"], filed, options.seed, stages, outcome)
                await lifecycle.decide(gw, team, call["id"], stages, outcome)
                await lifecycle.grants(gw, team, call["id"], stages, outcome)
                await lifecycle.visits(gw, team, filed, options.seed, stages, outcome)
                await lifecycle.release(gw, team, call["id"], filed, stages, outcome)
                paid = await lifecycle.payments(gw, team, call["id"], stages, outcome, finance_sim)
                stages.finish()
            summary = await report.gather(gw, team, call, outcome, paid)
            summary.seconds = {**stages.seconds, "total": time.monotonic() - started}
        awarded = next((filed[g["application_id"]] for g in sorted(outcome.grants, key=lambda g: g["reference"])), None)
        sample = (awarded.applicant.email, password) if awarded is not None else None
        report.render(console, summary, target.gateway, sample, (target.admin_email, target.admin_password_where()))
        console.print(
            f"\nThe demo took {summary.seconds['total']:.0f} s for {options.applicants} applicants "
            f"(seed {options.seed})."
        )
        return summary
    finally:
        await gw.close()
