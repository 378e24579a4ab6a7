"""`edf finance-sim`: the reference finance consumer, a separate process that shows how a finance
system integrates (docs/finance-integration.md).

It keeps its own durable consumer (`finance-sim`) on the `EDF_DISBURSEMENT` stream, filtered to
`edf.disbursement.payment.instructed.v1`, and "pays" each instruction once: its own SQLite record
is keyed by `instruction_id`, so a redelivered or republished instruction finds the payment it
made. It then publishes `edf.finance.payment.settled.v1` (or `.failed.v1` with `--fail-every`)
to `EDF_FINANCE`, with an event id and `Nats-Msg-Id` derived from the instruction id (a
re-publish is dropped by JetStream's duplicate window, and disbursement's inbox skips it after
that), and acks the instruction only once its record is committed and the report acknowledged.

A second durable consumer (`finance-sim-rejections`) follows
`edf.disbursement.finance_report.rejected.v1` and prints each rejection of its own reports
(those whose `report_source` is its `source`): the answer a finance system gets for a report
disbursement could not apply.

It connects as the `finance` NATS user (`--credentials`, by default `var/nats/finance.json` when
that file exists: the local stack writes it), which may publish only `edf.finance.>` and read
only through these consumers (shared.nats_auth). Each consumer is created with its filter in the
request's subject, as the server's permissions for that user require.
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import uuid
from collections.abc import Awaitable, Callable
from contextlib import closing, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import nats
import typer
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from pydantic import ValidationError

from shared.events.disbursement import FinanceReportRejectedV1, PaymentInstructedV1
from shared.events.envelope import CloudEvent, EventData, IncomingCloudEvent
from shared.events.finance import PaymentFailedV1, PaymentSettledV1
from shared.nats_auth import NatsLogin, read_credentials
from shared.settings import DEFAULT_NATS_URL, nats_servers

STREAM = "EDF_DISBURSEMENT"
INSTRUCTED = PaymentInstructedV1.subject
REJECTED = FinanceReportRejectedV1.subject
SOURCE = "/finance/sim"
REPORTS = uuid.UUID("5f0e7c1a-93d2-4b8e-8c1f-2a6d0b9e4f37")  # namespace of report ids
LOCAL_CREDENTIALS = Path("var/nats/finance.json")  # written by the local stack (`make run`)


class PaymentRecord:
    """The simulated bank's own book: one row per instruction id, first write wins."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, check_same_thread=False)  # one payment at a time, off the loop
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("""CREATE TABLE IF NOT EXISTS payments (
            instruction_id TEXT PRIMARY KEY, outcome TEXT NOT NULL, at TEXT NOT NULL, bank_reference TEXT,
            reason TEXT, amount TEXT NOT NULL, currency TEXT NOT NULL, seq INTEGER NOT NULL UNIQUE)""")
        self.db.commit()

    def pay(self, instruction: PaymentInstructedV1, fail_every: int) -> dict[str, Any]:
        """Records the payment unless it is recorded already; returns the recorded one."""
        with self.db:  # one transaction: committed before anything is published or acked
            seq = self.db.execute("SELECT coalesce(max(seq), 0) + 1 FROM payments").fetchone()[0]
            failed = fail_every > 0 and seq % fail_every == 0
            key = str(instruction.instruction_id)
            self.db.execute(
                "INSERT OR IGNORE INTO payments VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    key,
                    "failed" if failed else "settled",
                    datetime.now(UTC).isoformat(),
                    None if failed else f"SIM-{instruction.instruction_id.hex[:16].upper()}",
                    "simulated failure (--fail-every)" if failed else None,
                    str(instruction.amount),
                    instruction.currency,
                    seq,
                ),
            )
        row = self.db.execute(
            "SELECT instruction_id, outcome, at, bank_reference, reason FROM payments WHERE instruction_id = ?", (key,)
        ).fetchone()
        return dict(zip(("instruction_id", "outcome", "at", "bank_reference", "reason"), row, strict=True))

    def close(self) -> None:
        self.db.close()


def report_of(payment: dict[str, Any]) -> CloudEvent:
    """The same report for the same payment every time: its id is derived from the instruction id."""
    instruction_id = uuid.UUID(payment["instruction_id"])
    at = datetime.fromisoformat(payment["at"])
    data: EventData
    if payment["outcome"] == "settled":
        data = PaymentSettledV1(instruction_id=instruction_id, settled_at=at, bank_reference=payment["bank_reference"])
    else:
        data = PaymentFailedV1(instruction_id=instruction_id, failed_at=at, reason=payment["reason"])
    event_id = uuid.uuid5(REPORTS, f"{data.subject}:{instruction_id}")
    return CloudEvent(
        id=event_id,
        source=SOURCE,
        type=data.subject,
        subject=str(instruction_id),
        time=at,
        data=data.model_dump(mode="json"),
        correlationid=str(instruction_id),
    )


async def _bind(js: JetStreamContext, durable: str, subject: str) -> JetStreamContext.PullSubscription:
    config = ConsumerConfig(
        name=durable,  # with its filter in the request's subject: what the finance user may create
        durable_name=durable,
        filter_subject=subject,
        ack_policy=AckPolicy.EXPLICIT,
        deliver_policy=DeliverPolicy.ALL,
        ack_wait=30,
        max_ack_pending=100,
    )
    while True:
        try:
            await js.add_consumer(STREAM, config)
            return await js.pull_subscribe_bind(durable=durable, stream=STREAM)
        except Exception as exc:  # noqa: BLE001  (the stream is not there yet: the services create it)
            typer.echo(f"waiting for the {STREAM} stream ({type(exc).__name__})", err=True)
            await asyncio.sleep(1.0)


Handle = Callable[[Any], Awaitable[None]]


async def serve(
    nats_url: str,
    record: PaymentRecord,
    durable: str,
    fail_every: int,
    stop: asyncio.Event,
    login: NatsLogin | None = None,
) -> None:
    nc = await nats.connect(
        nats_servers(nats_url),
        **(login or NatsLogin()).connect_options(),
        name=durable,
        max_reconnect_attempts=-1,
        error_cb=_nats_error,
        disconnected_cb=_disconnected,
        reconnected_cb=_reconnected,
    )
    try:
        js = nc.jetstream(timeout=5)

        async def pay(message: Any) -> None:
            await _handle(js, message, record, fail_every)

        await asyncio.gather(
            _consume(js, durable, INSTRUCTED, pay, stop),
            _consume(js, f"{durable}-rejections", REJECTED, _rejected, stop),
        )
    finally:
        with suppress(Exception):
            await nc.close()


async def _consume(js: JetStreamContext, durable: str, subject: str, handle: Handle, stop: asyncio.Event) -> None:
    sub = await _bind(js, durable, subject)
    typer.echo(f"finance-sim: consuming {subject} as {durable}")
    while not stop.is_set():
        try:
            messages = await sub.fetch(50, timeout=1.0)
        except TimeoutError:
            continue
        except Exception as exc:  # noqa: BLE001  (e.g. 503 while a restarted NATS recovers its streams)
            typer.echo(f"finance-sim: fetching failed ({type(exc).__name__}); binding again", err=True)
            with suppress(Exception):
                await sub.unsubscribe()
            await asyncio.sleep(1.0)
            sub = await _bind(js, durable, subject)
            continue
        for message in messages:
            await handle(message)


async def _rejected(message: Any) -> None:
    """Prints a rejection of one of its reports (a real finance system would reopen the payment)."""
    try:
        event = IncomingCloudEvent.model_validate_json(message.data)
        rejection = FinanceReportRejectedV1.model_validate(event.data, extra="ignore")
    except (ValueError, ValidationError):
        await message.term()
        return
    if rejection.report_source == SOURCE:
        about = f" (instruction {rejection.instruction_id})" if rejection.instruction_id else ""
        typer.echo(f"finance-sim: report {rejection.report_id} rejected: {rejection.reason.value}{about}")
    await message.ack()


async def _nats_error(exc: Exception) -> None:
    typer.echo(f"finance-sim: NATS: {type(exc).__name__}", err=True)  # one line, not a traceback per retry


async def _disconnected() -> None:
    typer.echo("finance-sim: disconnected from NATS; reconnecting", err=True)


async def _reconnected() -> None:
    typer.echo("finance-sim: reconnected to NATS", err=True)


async def _handle(js: JetStreamContext, message: Any, record: PaymentRecord, fail_every: int) -> None:
    try:
        event = IncomingCloudEvent.model_validate_json(message.data)
        instruction = PaymentInstructedV1.model_validate(event.data, extra="ignore")
    except (ValueError, ValidationError):
        typer.echo("finance-sim: an unreadable instruction was set aside", err=True)
        await message.term()
        return
    payment = await asyncio.to_thread(record.pay, instruction, fail_every)
    report = report_of(payment)
    try:
        await js.publish(report.type, report.model_dump_json().encode(), headers={"Nats-Msg-Id": str(report.id)})
    except Exception as exc:  # noqa: BLE001  (EDF_FINANCE unreachable: the instruction comes back later)
        typer.echo(f"finance-sim: report not published yet ({type(exc).__name__})", err=True)
        await message.nak(delay=2.0)
        return
    await message.ack()
    typer.echo(
        f"finance-sim: {payment['outcome']} {instruction.instruction_id} {instruction.amount} {instruction.currency}"
    )


def connection(nats_url: str | None, credentials: Path | None) -> tuple[str, NatsLogin]:
    """The URL (given, else the credentials file's, else the default) and the login to use."""
    if credentials is None and LOCAL_CREDENTIALS.exists():
        credentials = LOCAL_CREDENTIALS
    if credentials is None:
        return nats_url or DEFAULT_NATS_URL, NatsLogin()
    try:
        url, login = read_credentials(credentials)
    except (OSError, ValueError) as exc:
        raise typer.BadParameter(f"{credentials}: {exc}", param_hint="--credentials") from None
    return nats_url or url or DEFAULT_NATS_URL, login


def finance_sim(
    nats_url: Annotated[
        str | None,
        typer.Option(
            envvar="EDF_NATS_URL",
            help="The NATS server (a cluster: nodes, comma-separated); else the credentials file's.",
            show_default=DEFAULT_NATS_URL,
        ),
    ] = None,
    credentials: Annotated[
        Path | None,
        typer.Option(
            help='The finance user\'s connection file {"url", "user", "password"}.',
            show_default=f"{LOCAL_CREDENTIALS} when it exists",
        ),
    ] = None,
    db: Annotated[Path, typer.Option(help="Its own record of payments (SQLite).")] = Path("var/finance-sim.db"),
    fail_every: Annotated[int, typer.Option(min=0, help="Report every Nth new payment as failed (0: none).")] = 0,
    durable: Annotated[str, typer.Option(help="Its durable consumer on EDF_DISBURSEMENT.")] = "finance-sim",
) -> None:
    """A reference finance system: pays each payment instruction once and reports it settled."""
    url, login = connection(nats_url, credentials)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        with closing(PaymentRecord(db)) as record:
            await serve(url, record, durable, fail_every, stop, login)

    asyncio.run(main())
