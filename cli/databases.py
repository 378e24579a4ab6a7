"""Each app's database as the app itself finds it: `<APP>_DATABASE_URL`, else `var/<app>.db`
(shared/settings.py). The operators' commands read them directly, so they also work while the
apps (or the gateway) are down. Nothing here migrates or creates a database: a database that is
not at the head of its app's migrations is refused, with what to do, and left as it is."""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from pathlib import Path

import typer
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from shared.db import Database, InfraTables, make_engine
from shared.migrate import APPS, current_revisions, head_revisions, settings_of


class Unavailable(Exception):
    """This app's database cannot be opened (e.g. a SQLite file that was never made, or a
    database its migrations have not reached)."""


def infra_of(app: str) -> InfraTables:
    infra: InfraTables = importlib.import_module(f"{APPS[app]}.models").INFRA
    return infra


def open_database(app: str) -> Database:
    url: str = settings_of(app).database_url  # type: ignore[attr-defined]
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        path = Path(parsed.database or "")
        if not path.exists():
            raise Unavailable(f"no database at {path} (set {app.upper()}_DATABASE_URL or EDF_VAR_DIR)")
    engine = make_engine(url)
    try:
        problem = _not_migrated(app, engine)
    except SQLAlchemyError as exc:
        problem = f"cannot read its database ({type(exc).__name__})"
    if problem is not None:
        engine.dispose()
        raise Unavailable(problem)
    return Database(engine=engine, infra=infra_of(app), source="/edf/cli")


def _not_migrated(app: str, engine: Engine) -> str | None:
    """Why this database does not have the schema this code reads (None: it does)."""
    with engine.connect() as connection:
        current = current_revisions(connection)
    heads = head_revisions(app)
    if current == heads:
        return None
    at = f"revision {', '.join(sorted(current))}" if current else "no revision (empty or never migrated)"
    return (
        f"its database is at {at}, this edf expects {', '.join(sorted(heads))}; nothing was changed: "
        f"migrate it first (`python -m shared.migrate {app}`, or `make migrate` locally)"
    )


def chosen(service: str | None) -> list[str]:
    """Every app, or the one named (an unknown name stops the command)."""
    if service is None:
        return list(APPS)
    if service not in APPS:
        raise typer.BadParameter(f"choose from {', '.join(APPS)}", param_hint="--service")
    return [service]


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns, two spaces apart."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in [header, *rows]
    )
