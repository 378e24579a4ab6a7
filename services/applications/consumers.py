"""Events the applications service consumes, mapped to its handlers."""

from services.applications.handlers.events import lifecycle
from shared.inbox import Subscription

SUBSCRIPTIONS: list[Subscription] = [
    Subscription("edf.applications.application.submitted.v1", lifecycle.screen_submitted),
    Subscription("edf.scoring.application.assigned.v1", lifecycle.record_assigned),
    Subscription("edf.scoring.application.scored.v1", lifecycle.record_scored),
    Subscription("edf.scoring.application.decided.v1", lifecycle.record_decided),
]
