"""Each app's database as the app itself finds it: `<APP>_DATABASE_URL`, else `var/<app>.db`
(shared/settings.py). The operators' commands read them directly, so they also work while the
apps (or the gateway) are down; nothing here migrates or creates a database."""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from pathlib import Path

import typer
from sqlalchemy.engine import make_url

from shared.db import Database, InfraTables, make_engine
from shared.migrate import APPS, settings_of


class Unavailable(Exception):
    """This app's database cannot be opened (e.g. a SQLite file that was never made)."""


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
    return Database(engine=make_engine(url), infra=infra_of(app), source="/edf/cli")


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
