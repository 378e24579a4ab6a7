"""The applications service's routes."""

from services.applications.api import applications, calls, documents

routers = [calls.router, applications.router, documents.router]
