"""Who sees whose identity: the one policy the services and the gateway apply (plain values).

Review is blind by construction: the `officer` role (the reviewers), `committee` and `finance`
never see an applicant's identity in the applications service — owner name, national ID
digits, phone, business name, registration number, address, identifying documents. Identity
duties (resolving screening flags, checking payout details) belong to `intake`; `admin` sees
identity too; `monitor` sees a grantee's contact details (business name, address, owner name
and phone) of an awarded application, to visit them. Every read of identity by staff is
audited (`READ_ACTION`). docs/architecture.md ("Who sees what") is the table of this module.
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.roles import Role

READ_ACTION = "personal_data.read"
OWNER_IDENTITY = ("full_name", "national_id_last4", "phone")
BUSINESS_IDENTITY = ("name", "registration_number", "address")
# A registration certificate names the business; "other" is where ID scans go. Quotes and
# photos are shown to reviewers.
IDENTIFYING_DOCUMENTS = frozenset({"registration", "other"})
IDENTITY_ROLES = frozenset({Role.intake, Role.admin})
# Monitors visit grantees: the contact details of awarded applications only.
CONTACT_ROLES = frozenset({Role.monitor})
CONTACT_STATUSES = frozenset({"awarded"})
CONTACT_FIELDS = frozenset({"owner.full_name", "owner.phone", "business.name", "business.address"})
# Payout details' account holder (a person's name) in disbursement: who pays and who checks.
PAYEE_ROLES = frozenset({Role.finance, Role.intake, Role.admin})


@dataclass(frozen=True)
class View:
    """The identity fields a caller is shown of one application (`owner.x`, `business.x`) and
    whether identifying documents are shown; `audited`: a staff read to record."""

    fields: frozenset[str]
    identifying_documents: bool
    audited: bool

    @property
    def blind(self) -> bool:
        return not self.fields and not self.identifying_documents


ALL_FIELDS = frozenset({f"owner.{f}" for f in OWNER_IDENTITY} | {f"business.{f}" for f in BUSINESS_IDENTITY})
BLIND = View(frozenset(), identifying_documents=False, audited=False)


def view_of(role: Role, *, owner: bool, status: str, blind: bool = False) -> View:
    """What `role` sees of an application in `status` (`owner`: the caller is its applicant;
    `blind`: the caller asked for the blind view)."""
    if blind:
        return BLIND
    if owner and role is Role.applicant:
        return View(ALL_FIELDS, identifying_documents=True, audited=False)
    if role in IDENTITY_ROLES:
        return View(ALL_FIELDS, identifying_documents=True, audited=True)
    if role in CONTACT_ROLES and status in CONTACT_STATUSES:
        return View(CONTACT_FIELDS, identifying_documents=False, audited=True)
    return BLIND


def sees_account_holder(role: Role, *, owner: bool) -> bool:
    """Payout details: the grantee and `PAYEE_ROLES` see the account holder's name."""
    return owner or role in PAYEE_ROLES
