"""The body of every service's `migrations/env.py`: one place for SQLite batch mode etc."""

from __future__ import annotations

import importlib

from alembic import context
from sqlalchemy import MetaData

from shared.db import make_engine


def run_migrations() -> None:
    config = context.config
    package = config.attributes.get("app_package") or config.get_main_option("app_package")
    metadata: MetaData = importlib.import_module(f"{package}.models").Base.metadata
    url = config.get_main_option("sqlalchemy.url")
    assert url is not None
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, literal_binds=True, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=metadata,
                render_as_batch=connection.dialect.name == "sqlite",
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()
