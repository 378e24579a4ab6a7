"""`edf users create`, `edf calls list`, `edf applications show REF`; `edf audit verify`,
`edf dlq list|replay` and `edf outbox status` (cli/audit.py, cli/ops.py); `edf jwt keygen|jwks`
(cli/keys.py).

Only `users create` migrates (the gateway's database, which it writes); the commands that read
refuse a database that is not migrated and leave it as it is (cli/databases.py)."""

from __future__ import annotations

from typing import Annotated

import typer
from pydantic import ValidationError

from cli.audit import audit
from cli.databases import Unavailable, open_database
from cli.finance_sim import finance_sim
from cli.keys import jwt
from cli.ops import dlq, outbox
from services.applications.handlers import applications as application_handlers
from services.applications.handlers import calls as call_handlers
from shared.auth import SYSTEM, Role
from shared.db import Database, make_engine
from shared.errors import DomainError
from shared.http import PageParams, decode_cursor
from shared.migrate import upgrade

app = typer.Typer(help="EDF Grants operators' commands.", no_args_is_help=True, pretty_exceptions_enable=False)
users = typer.Typer(help="Accounts (gateway database).", no_args_is_help=True)
calls = typer.Typer(help="Calls (applications database).", no_args_is_help=True)
applications = typer.Typer(help="Applications (applications database).", no_args_is_help=True)
app.add_typer(users, name="users")
app.add_typer(calls, name="calls")
app.add_typer(applications, name="applications")
app.command("finance-sim")(finance_sim)
app.add_typer(audit, name="audit")
app.add_typer(dlq, name="dlq")
app.add_typer(outbox, name="outbox")
app.add_typer(jwt, name="jwt")


def _applications_db() -> Database:
    """The applications database, to read: refused (exit 1) unless it is migrated."""
    try:
        return open_database("applications")
    except Unavailable as exc:
        raise _fail(f"applications: {exc}") from None


def _fail(message: str) -> typer.Exit:
    typer.secho(message, err=True, fg=typer.colors.RED)
    return typer.Exit(1)


@users.command("create")
def create_user(
    email: Annotated[str, typer.Option(help="Sign-in e-mail address.")],
    role: Annotated[Role, typer.Option(help="What the user may do.")],
    full_name: Annotated[str, typer.Option(help="The user's name.")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
) -> None:
    """Create a user with a role (asks for the password)."""
    from gateway.handlers import create_user as create
    from gateway.models import INFRA as GATEWAY_INFRA
    from gateway.models import UserCreateIn
    from gateway.settings import Settings as GatewaySettings
    from shared.uow import Actor

    settings = GatewaySettings()
    upgrade("gateway", settings.database_url)
    db = Database(engine=make_engine(settings.database_url), infra=GATEWAY_INFRA, source="/edf/cli")
    try:
        body = UserCreateIn(email=email, password=password, full_name=full_name, role=role)
        user = create(db, Actor.of(SYSTEM), body)
    except ValidationError as exc:
        raise _fail("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())) from None
    except DomainError as exc:
        raise _fail(exc.detail) from None
    typer.echo(f"created {user.role} {user.id}")


@calls.command("list")
def list_calls() -> None:
    """Every call with its status and window."""
    db = _applications_db()
    cursor: str | None = None
    while True:
        page = call_handlers.list_calls(db, SYSTEM, PageParams(limit=200, after=cursor), None)
        for call in page.items:
            typer.echo(
                f"{call.code:<12} {call.status:<7} {call.opens_at:%Y-%m-%d} → {call.closes_at:%Y-%m-%d}  "
                f"{call.currency} {call.budget}  {call.title.en}  {call.id}"
            )
        if page.next_cursor is None:
            break
        cursor = decode_cursor(page.next_cursor)


@applications.command("show")
def show_application(reference: str) -> None:
    """One application by its reference (e.g. EDF-NIN24-000123); the national id never shows."""
    try:
        found = application_handlers.get_by_reference(_applications_db(), SYSTEM, reference)
    except DomainError as exc:
        raise _fail(exc.detail) from None
    typer.echo(found.model_dump_json(indent=2))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
