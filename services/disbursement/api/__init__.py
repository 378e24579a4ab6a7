"""The disbursement service's routes."""

from services.disbursement.api import batches, calls, grants, payments, tranches

routers = [grants.router, tranches.router, payments.router, calls.router, batches.router]
