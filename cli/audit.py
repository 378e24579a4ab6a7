"""`edf audit verify`: walks each app's audit chain (shared/audit.py) in its database.

Per app it prints the rows checked and OK with the chain's head (seq and hash: record them
elsewhere to notice later if rows are cut off the end), or the first broken row and why. The
exit status is 1 when any chain is broken or a database cannot be read.
"""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy.exc import SQLAlchemyError

from cli.audit_reads import find_reads
from cli.databases import Unavailable, chosen, open_database, table
from shared.audit import verify as verify_chain
from shared.migrate import APPS

audit = typer.Typer(help="The audit trail of every app.", no_args_is_help=True)


@audit.command("verify")
def verify(
    service: Annotated[str | None, typer.Option("--service", "-s", help="One app only: " + ", ".join(APPS))] = None,
    batch: Annotated[int, typer.Option(min=1, help="Rows read per query.")] = 2000,
) -> None:
    """Checks that each app's audit rows are numbered without gaps and chained by their hashes."""
    rows: list[tuple[str, str, str]] = []
    failed = False
    for app in chosen(service):
        try:
            db = open_database(app)
        except Unavailable as exc:
            rows.append((app, "-", f"SKIPPED: {exc}"))
            failed = True
            continue
        try:
            with db.engine.connect() as connection:
                verdict = verify_chain(connection, db.infra.audit, batch=batch)
        except SQLAlchemyError as exc:
            rows.append((app, "-", f"CANNOT READ ({type(exc).__name__}): is the database migrated?"))
            failed = True
            continue
        finally:
            db.engine.dispose()
        if verdict.ok and verdict.rows == 0:
            rows.append((app, "0", "OK  (no rows yet)"))
        elif verdict.ok:
            rows.append((app, str(verdict.rows), f"OK  head {verdict.head_seq} {verdict.head_hash[:16]}"))
        else:
            rows.append((app, str(verdict.rows), f"BROKEN at seq {verdict.broken_seq}: {verdict.reason}"))
            failed = True
    typer.echo(table(("SERVICE", "ROWS", "CHAIN"), rows))
    if failed:
        raise typer.Exit(1)


@audit.command("reads")
def reads(
    application: Annotated[str, typer.Option("--application", "-a", help="The application's id or reference.")],
) -> None:
    """Lists every read of the application's personal data by staff: when, who (account id and
    role), which fields, through which route — oldest first."""
    try:
        db = open_database("applications")
    except Unavailable as exc:
        typer.echo(f"cannot read the applications database: {exc}", err=True)
        raise typer.Exit(1) from exc
    try:
        with db.engine.connect() as connection:
            found = find_reads(connection, db.infra.audit, application)
    finally:
        db.engine.dispose()
    if found is None:
        typer.echo(f"no application {application}", err=True)
        raise typer.Exit(1)
    typer.echo(table(("AT", "WHO", "ROLE", "FIELDS", "ROUTE"), found))
