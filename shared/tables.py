"""What the services' tables and use cases share: the money column and a locked read."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Column, Numeric
from sqlmodel import Session, SQLModel

M = TypeVar("M", bound=SQLModel)
# NUMERIC(18, 4): every amount of every currency this fund pays in (IQD included).
MONEY = (18, 4)


def money_column(*, nullable: bool = False, server_default: str | None = None) -> Any:
    """A column of amounts, `Field(sa_column=money_column())` (a new column per field)."""
    return Column(Numeric(*MONEY), nullable=nullable, server_default=server_default)


def locked(session: Session, model: type[M], key: Any) -> M | None:
    """The row, locked until the transaction ends (`SELECT … FOR UPDATE`; SQLite has one writer)."""
    return session.get(model, key, with_for_update=True, populate_existing=True)
