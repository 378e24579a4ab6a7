"""Typed dependencies of the applications routes: the database, the settings and what is made
of them, the caller by role. Routes take these and read nothing from `app.state` themselves."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.applications.settings import IntakeConfig, Settings
from shared.auth import Principal, Role, require_roles
from shared.deps import DatabaseDep, MaybeSignedIn, PageDep, SignedIn, settings_getter

__all__ = [
    "Admin",
    "Applicant",
    "DatabaseDep",
    "IntakeDep",
    "IntakeOfficer",
    "IntakeStaff",
    "MaybeSignedIn",
    "PageDep",
    "SettingsDep",
    "SignedIn",
    "get_intake",
    "get_settings",
]

get_settings = settings_getter(Settings)
SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_intake(settings: SettingsDep) -> IntakeConfig:
    return settings.intake()


IntakeDep = Annotated[IntakeConfig, Depends(get_intake)]
Admin = Annotated[Principal, Depends(require_roles(Role.admin))]
Applicant = Annotated[Principal, Depends(require_roles(Role.applicant))]
# Identity duties: an intake officer resolves screening flags; another one or an admin approves.
IntakeOfficer = Annotated[Principal, Depends(require_roles(Role.intake))]
IntakeStaff = Annotated[Principal, Depends(require_roles(Role.intake, Role.admin))]
