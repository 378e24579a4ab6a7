"""Typed FastAPI dependencies every app's routes share: its database, its own settings, paging.

A service's `api/deps.py` names them for its routes (`DatabaseDep`, `SettingsDep`, …), so that a
route reads nothing from `app.state` itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from fastapi import Depends, Request

from shared.auth import Principal, current_principal, optional_principal
from shared.db import Database
from shared.http import PageParams, page_params
from shared.settings import CommonSettings

S = TypeVar("S", bound=CommonSettings)


def get_database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


DatabaseDep = Annotated[Database, Depends(get_database)]
PageDep = Annotated[PageParams, Depends(page_params)]
SignedIn = Annotated[Principal, Depends(current_principal)]
MaybeSignedIn = Annotated[Principal | None, Depends(optional_principal)]  # a token is optional


def settings_getter(kind: type[S]) -> Callable[[Request], S]:
    """A dependency returning the app's settings as `kind`, the class the app was built with."""

    def get_settings(request: Request) -> S:
        settings = request.app.state.settings
        if not isinstance(settings, kind):
            raise TypeError(f"the app's settings are {type(settings).__name__}, not {kind.__name__}")
        return settings

    return get_settings
