"""Imports every module that registers events, so that the registry is complete."""

from shared.events import applications, calls, disbursement, finance, monitoring, scoring, users  # noqa: F401
