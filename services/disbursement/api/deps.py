"""Typed dependencies of the disbursement routes: the database, the settings and the fund's
account made of them, the caller by role. Routes take these and read nothing from `app.state`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.disbursement.domain.pain001 import Debtor
from services.disbursement.handlers.batches import batch_payments
from services.disbursement.handlers.status_reports import BatchLookup
from services.disbursement.settings import Settings
from shared.auth import Principal, Role, require_roles, require_roles_with_mfa
from shared.deps import DatabaseDep, PageDep, SignedIn, settings_getter

__all__ = [
    "BatchLookupDep",
    "DatabaseDep",
    "DebtorDep",
    "Finance",
    "FinanceMfa",
    "FinanceOrAdmin",
    "Officer",
    "PageDep",
    "PayeeConfirmer",
    "PayeeEditor",
    "SettingsDep",
    "SignedIn",
    "get_batch_lookup",
    "get_debtor",
    "get_settings",
]

get_settings = settings_getter(Settings)
SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_debtor(settings: SettingsDep) -> Debtor:
    """The fund's own account, the debtor of the pain.001 files."""
    return settings.debtor()


DebtorDep = Annotated[Debtor, Depends(get_debtor)]
Finance = Annotated[Principal, Depends(require_roles(Role.finance))]
FinanceOrAdmin = Annotated[Principal, Depends(require_roles(Role.finance, Role.admin))]
Officer = Annotated[Principal, Depends(require_roles(Role.officer))]
PayeeEditor = Annotated[Principal, Depends(require_roles(Role.applicant, Role.officer, Role.intake))]
# Money routes: the caller signed in with a second factor (403 `mfa_required` otherwise).
FinanceMfa = Annotated[Principal, Depends(require_roles_with_mfa(Role.finance))]
PayeeConfirmer = Annotated[Principal, Depends(require_roles_with_mfa(Role.applicant, Role.officer, Role.intake))]


def get_batch_lookup() -> BatchLookup:
    """Which payments a batch holds, for its bank status files (the tests may swap it)."""
    return batch_payments


BatchLookupDep = Annotated[BatchLookup, Depends(get_batch_lookup)]
