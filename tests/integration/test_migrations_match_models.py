"""Every app's migrations build exactly its models' tables: a fresh database upgraded to head
leaves `alembic check` nothing to generate (a model changed without a migration fails here), on
SQLite and on PostgreSQL, and the history has one head."""

from __future__ import annotations

import pytest
from alembic import command

from shared.migrate import APPS, alembic_config, head_revisions, upgrade


@pytest.mark.parametrize("app", list(APPS))
def test_a_database_at_head_matches_the_models(app: str, database_url: str) -> None:
    assert len(head_revisions(app)) == 1, f"{app} has several migration heads"
    upgrade(app, database_url)
    command.check(alembic_config(app, database_url))  # raises when the models differ
