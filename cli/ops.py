"""`edf dlq list`, `edf dlq replay ID --service S`, `edf outbox status`.

They read each app's database directly (cli/databases.py), through the same functions as the
admin endpoints `/api/v1/ops/<service>/…` (shared/ops.py). A replay applies the event here,
through the service's own consumer handler and inbox, as the endpoint does; the events it
causes are committed to the service's outbox, which the running service publishes.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from sqlalchemy.exc import SQLAlchemyError

from cli.databases import Unavailable, chosen, open_database, table
from shared.bus import Bus
from shared.errors import DomainError
from shared.inbox import ConsumerPolicy, InboxConsumer, Subscription, consumers_for
from shared.migrate import APPS, settings_of
from shared.ops import dead_letters, outbox_status, replay

dlq = typer.Typer(help="Dead letters: events a service could not apply.", no_args_is_help=True)
outbox = typer.Typer(help="Events committed by each app and not yet published.", no_args_is_help=True)
Service = Annotated[str | None, typer.Option("--service", "-s", help="One app only: " + ", ".join(APPS))]


def _when(moment: datetime | None) -> str:
    if moment is None:
        return "-"
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def _age(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "-"
    seconds = max(int((now - (moment if moment.tzinfo else moment.replace(tzinfo=UTC))).total_seconds()), 0)
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def _short(text: str, width: int = 60) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"


def _each(apps: list[str], read: Any) -> tuple[list[tuple[str, Any]], bool]:
    """(app, what `read(db)` returned) for each app whose database answers; False if one did not."""
    results: list[tuple[str, Any]] = []
    all_ok = True
    for app in apps:
        try:
            db = open_database(app)
        except Unavailable as exc:
            typer.secho(f"{app}: {exc}", err=True, fg=typer.colors.YELLOW)
            all_ok = False
            continue
        try:
            results.append((app, read(db)))
        except SQLAlchemyError as exc:
            typer.secho(
                f"{app}: cannot read its database ({type(exc).__name__}); is it migrated?",
                err=True,
                fg=typer.colors.RED,
            )
            all_ok = False
        finally:
            db.engine.dispose()
    return results, all_ok


@dlq.command("list")
def list_dead_letters(
    service: Service = None,
    include_replayed: Annotated[bool, typer.Option("--all", help="Replayed ones too.")] = False,
) -> None:
    """Dead letters of every service (or one), oldest first."""
    results, all_ok = _each(chosen(service), lambda db: dead_letters(db, include_replayed, limit=1000))
    rows = [
        (
            str(letter["id"]),
            app,
            letter["subject"],
            letter["event_id"] or "-",
            _when(letter["created_at"]),
            "replayed" if letter["replayed_at"] else "",
            _short(letter["error"]),
        )
        for app, letters in results
        for letter in letters
    ]
    if rows:
        typer.echo(table(("ID", "SERVICE", "SUBJECT", "EVENT ID", "FAILED AT", "", "ERROR"), rows))
    elif results:
        typer.echo("no dead letters")
    if not all_ok:
        raise typer.Exit(1)


@dlq.command("replay")
def replay_dead_letter(
    letter_id: Annotated[int, typer.Argument(help="The dead letter's ID (from `edf dlq list`).")],
    service: Annotated[str, typer.Option("--service", "-s", help="The service that holds it.")],
) -> None:
    """Applies a dead letter's event again, once its cause is fixed (it is then marked replayed)."""
    app = chosen(service)[0]
    try:
        subscriptions: Sequence[Subscription[Any]] = importlib.import_module(f"{APPS[app]}.consumers").SUBSCRIPTIONS
    except ModuleNotFoundError as exc:
        if exc.name != f"{APPS[app]}.consumers":
            raise
        raise _fail(f"{app} consumes no events: it has no dead letters") from None
    try:
        db = open_database(app)
    except Unavailable as exc:
        raise _fail(str(exc)) from None
    settings: Any = settings_of(app)
    # Never connected: a consumer needs its bus only to pull, and a replay does not pull.
    bus = Bus(settings.nats_url, "edf-cli")
    consumers: list[InboxConsumer] = consumers_for(db, bus, settings.service_name, subscriptions, ConsumerPolicy())
    try:
        replayed = replay(db, consumers, letter_id)
    except DomainError as exc:
        raise _fail(f"{app}: dead letter {letter_id}: {exc.detail}") from None
    except Exception as exc:  # noqa: BLE001  (the handler failed again: say so, no traceback)
        raise _fail(f"{app}: dead letter {letter_id}: the handler failed: {type(exc).__name__}") from None
    finally:
        db.engine.dispose()
    typer.echo(
        f"replayed {app} dead letter {replayed['id']} ({replayed['subject']}, event "
        f"{replayed['event_id'] or '-'}) at {_when(replayed['replayed_at'])}"
    )


@outbox.command("status")
def status(service: Service = None) -> None:
    """Per app: events waiting to be published, the oldest one's age, the last publish."""
    results, all_ok = _each(chosen(service), outbox_status)
    now = datetime.now(UTC)
    rows = [
        (app, str(s["pending"]), _age(s["oldest_pending_at"], now), _when(s["last_published_at"])) for app, s in results
    ]
    if rows:
        typer.echo(table(("SERVICE", "PENDING", "OLDEST PENDING", "LAST PUBLISHED AT"), rows))
    if not all_ok:
        raise typer.Exit(1)


def _fail(message: str) -> typer.Exit:
    typer.secho(message, err=True, fg=typer.colors.RED)
    return typer.Exit(1)
