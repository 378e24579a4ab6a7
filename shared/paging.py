"""Keyset pagination over one unique, ordered text column (`?limit=&cursor=`, docs/api.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlmodel import Session, col
from sqlmodel.sql.expression import SelectOfScalar

from shared.http import Page, PageParams, encode_cursor

Row = TypeVar("Row")
Out = TypeVar("Out")


def keyset_page(
    session: Session, query: SelectOfScalar[Row], key: Any, page: PageParams, out: Callable[[Row], Out]
) -> Page[Out]:
    """The page after `page.after` in `key` order; the cursor is the last row's key."""
    query = query.order_by(col(key)).limit(page.limit + 1)
    if page.after is not None:
        query = query.where(col(key) > page.after)
    rows = list(session.exec(query).all())
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    cursor = encode_cursor(str(getattr(rows[-1], key.key))) if more else None
    return Page(items=[out(row) for row in rows], next_cursor=cursor)
