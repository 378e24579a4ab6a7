"""Alembic, one history per service: `python -m shared.migrate <app> [<app> ...]`.

Each app package (`gateway`, `services.<name>`) has `settings.py` (a `Settings` class),
`models.py` (a `Base` whose metadata holds its tables) and `migrations/`.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

APPS = {
    "gateway": "gateway",
    "applications": "services.applications",
    "scoring": "services.scoring",
    "disbursement": "services.disbursement",
    "monitoring": "services.monitoring",
}


def alembic_config(app: str, database_url: str) -> Config:
    package = importlib.import_module(APPS[app])
    assert package.__file__ is not None
    config = Config()
    config.set_main_option("script_location", str(Path(package.__file__).parent / "migrations"))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.attributes["app_package"] = APPS[app]
    return config


def upgrade(app: str, database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(app, database_url), revision)


def head_revisions(app: str) -> set[str]:
    """Where `upgrade(app, url)` takes a database: the heads of the app's alembic history."""
    return set(ScriptDirectory.from_config(alembic_config(app, "")).get_heads())


def current_revisions(connection: Connection) -> set[str]:
    """The revisions a database is at (none: never migrated). Reads only, creates nothing."""
    return set(MigrationContext.configure(connection).get_current_heads())


def settings_of(app: str) -> object:
    module = importlib.import_module(f"{APPS[app]}.settings")
    return module.Settings()


def main(argv: list[str]) -> int:
    apps = argv or list(APPS)
    for app in apps:
        if app not in APPS:
            print(f"unknown app {app!r}; choose from {', '.join(APPS)}", file=sys.stderr)
            return 2
        url: str = settings_of(app).database_url  # type: ignore[attr-defined]
        upgrade(app, url)
        print(f"migrated {app}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
