"""Roles: plain values that domain code may import without any web framework."""

from enum import StrEnum


class Role(StrEnum):
    applicant = "applicant"
    officer = "officer"
    committee = "committee"
    finance = "finance"
    monitor = "monitor"
    admin = "admin"
    intake = "intake"


STAFF = frozenset({Role.officer, Role.committee, Role.finance, Role.monitor, Role.admin, Role.intake})
