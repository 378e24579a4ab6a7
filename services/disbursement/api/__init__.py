"""The disbursement service's routes."""

from services.disbursement.api import batches, calls, grants, payments, status_reports, tranches

routers = [grants.router, tranches.router, payments.router, calls.router, batches.router, status_reports.router]
