"""Events the disbursement service consumes, mapped to its handlers."""

from services.disbursement import handlers
from shared.inbox import Subscription

SUBSCRIPTIONS: list[Subscription] = [
    Subscription("edf.applications.call.opened.v1", handlers.call_opened),
    Subscription("edf.applications.call.closed.v1", handlers.call_closed),
]
