"""Imports every module that registers events, so that the registry is complete."""

from shared.events import calls  # noqa: F401
