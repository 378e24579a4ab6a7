"""Read access to every app's database and to the finance consumer's own record, for the checks.
Values come back as plain strings where they are ids (uuids), so that they compare with the ids
in the events."""

from __future__ import annotations

import sqlite3
import uuid
from contextlib import closing
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text


class Data:
    def __init__(self, database_urls: dict[str, str]) -> None:
        self.engines: dict[str, Engine] = {app: create_engine(url) for app, url in database_urls.items()}

    def rows(self, app: str, query: str, **params: Any) -> list[dict[str, Any]]:
        with self.engines[app].connect() as connection:
            result = connection.execute(text(query), params)
            return [
                {k: (str(v) if isinstance(v, uuid.UUID) else v) for k, v in row.items()} for row in result.mappings()
            ]

    def scalar(self, app: str, query: str, **params: Any) -> Any:
        with self.engines[app].connect() as connection:
            return connection.execute(text(query), params).scalar()

    @staticmethod
    def finance_payments(path: Path) -> list[dict[str, Any]]:
        """The finance consumer's book: one row per instruction it paid (or failed)."""
        if not path.exists():
            return []
        with closing(sqlite3.connect(path)) as connection:
            connection.row_factory = sqlite3.Row
            return [dict(r) for r in connection.execute("SELECT instruction_id, outcome, amount FROM payments")]

    def close(self) -> None:
        for engine in self.engines.values():
            engine.dispose()
