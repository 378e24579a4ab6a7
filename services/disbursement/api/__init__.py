"""The disbursement service's routes."""

from services.disbursement.api import calls, grants, payments, status_reports, tranches

routers = [grants.router, tranches.router, payments.router, calls.router, status_reports.router]
