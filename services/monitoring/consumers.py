"""Events the monitoring service consumes, mapped to its handlers.

A grant's payment may arrive before the grant (a replay, or two replicas): it is retried until
the grant is here. A grant needs no application to be monitored (read views join it later).
An application's status comes from two streams (applications, scoring) and only moves forward.
"""

from services.monitoring.handlers.events import intake, statuses
from shared.inbox import Subscription

SUBSCRIPTIONS: list[Subscription] = [
    Subscription("edf.applications.call.opened.v1", intake.call_opened),
    Subscription("edf.applications.call.closed.v1", intake.call_closed),
    Subscription("edf.applications.application.submitted.v1", intake.application_submitted),
    Subscription("edf.applications.application.screened.v1", statuses.screened),
    Subscription("edf.applications.application.withdrawn.v1", statuses.withdrawn),
    Subscription("edf.scoring.application.assigned.v1", statuses.assigned),
    Subscription("edf.scoring.application.scored.v1", statuses.scored),
    Subscription("edf.scoring.application.decided.v1", statuses.decided),
    Subscription("edf.disbursement.grant.created.v1", intake.grant_created),
    Subscription("edf.disbursement.tranche.paid.v1", intake.tranche_paid),
    Subscription("edf.disbursement.grant.completed.v1", intake.grant_completed),
]
