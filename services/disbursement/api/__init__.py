"""The disbursement service's routes."""

from services.disbursement.api import calls, grants, payments, tranches

routers = [grants.router, tranches.router, payments.router, calls.router]
