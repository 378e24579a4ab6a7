"""Typed dependencies of the monitoring routes: the database, the settings and the exports'
publisher made of them, the caller by role. Routes take these and read nothing from `app.state`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.monitoring.handlers.exports.rows import Publisher
from services.monitoring.settings import Settings
from shared.auth import STAFF, Principal, Role, require_roles
from shared.deps import DatabaseDep, SignedIn, settings_getter

__all__ = [
    "DatabaseDep",
    "Monitor",
    "MonitorOrOfficer",
    "PublisherDep",
    "SettingsDep",
    "SignedIn",
    "Staff",
    "get_publisher",
    "get_settings",
]

get_settings = settings_getter(Settings)
SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_publisher(settings: SettingsDep) -> Publisher:
    """Who publishes the exports, from the service's settings."""
    return Publisher.of(settings)


PublisherDep = Annotated[Publisher, Depends(get_publisher)]
Staff = Annotated[Principal, Depends(require_roles(*STAFF))]
Monitor = Annotated[Principal, Depends(require_roles(Role.monitor))]
MonitorOrOfficer = Annotated[Principal, Depends(require_roles(Role.monitor, Role.officer))]
