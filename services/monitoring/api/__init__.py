"""The monitoring service's routes."""

from services.monitoring.api import calls, dashboard, grants

routers = [grants.router, grants.flags_router, calls.router, dashboard.router]
