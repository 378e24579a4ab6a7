"""Valid example data with unique codes (kept in devstack.samples: the bench and the chaos run use it too)."""

from devstack.samples import application_body, call_body, unique_code

__all__ = ["application_body", "call_body", "unique_code"]
