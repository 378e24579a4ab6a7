"""Events the applications service consumes, mapped to its handlers."""

from services.applications.handlers.events import lifecycle
from shared.events.applications import ApplicationDecidedV1, ApplicationScoredV1, ApplicationSubmittedV1
from shared.events.scoring import ApplicationAssignedV1
from shared.inbox import Subscription

SUBSCRIPTIONS = (  # no annotation: see shared/inbox/subscription.py
    Subscription(ApplicationSubmittedV1, lifecycle.screen_submitted),
    Subscription(ApplicationAssignedV1, lifecycle.record_assigned),
    Subscription(ApplicationScoredV1, lifecycle.record_scored),
    Subscription(ApplicationDecidedV1, lifecycle.record_decided),
)
