"""Event contracts: the CloudEvents envelope and the catalogue of typed event data."""

from shared.events.envelope import CloudEvent, EventData, make_event
from shared.events.registry import EVENTS, data_model_for, register

__all__ = ["EVENTS", "CloudEvent", "EventData", "data_model_for", "make_event", "register"]
