"""The applications service's routes."""

from services.applications.api import applications, calls, documents, screening

routers = [calls.router, applications.router, documents.router, screening.router]
