"""Typed dependencies of the scoring routes: the database, the settings, the caller by role.
Routes take these and read nothing from `app.state` themselves."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.scoring.settings import Settings
from shared.auth import Principal, Role, require_roles, require_roles_with_mfa
from shared.deps import DatabaseDep, PageDep, settings_getter

__all__ = [
    "Committee",
    "CommitteeMfa",
    "CommitteeOrAdmin",
    "DatabaseDep",
    "Officer",
    "PageDep",
    "Reader",
    "SettingsDep",
    "get_settings",
]

get_settings = settings_getter(Settings)
SettingsDep = Annotated[Settings, Depends(get_settings)]
Officer = Annotated[Principal, Depends(require_roles(Role.officer))]
Committee = Annotated[Principal, Depends(require_roles(Role.committee))]
CommitteeMfa = Annotated[Principal, Depends(require_roles_with_mfa(Role.committee))]  # award decisions
CommitteeOrAdmin = Annotated[Principal, Depends(require_roles(Role.committee, Role.admin))]
Reader = Annotated[Principal, Depends(require_roles(Role.officer, Role.committee))]  # rankings, proposals
