"""Events the monitoring service consumes, mapped to its handlers.

A grant's payment may arrive before the grant (a replay, or two replicas): it is retried until
the grant is here. A grant needs no application to be monitored (read views join it later).
An application's status comes from two streams (applications, scoring) and only moves forward.
"""

from services.monitoring.handlers.events import intake, statuses
from shared.events.applications import (
    ApplicationDecidedV1,
    ApplicationScoredV1,
    ApplicationScreenedV1,
    ApplicationSubmittedV1,
    ApplicationWithdrawnV1,
)
from shared.events.calls import CallClosedV1, CallOpenedV1
from shared.events.disbursement import GrantCompletedV1, GrantCreatedV1, TranchePaidV1
from shared.events.scoring import ApplicationAssignedV1
from shared.inbox import Subscription

SUBSCRIPTIONS = (  # no annotation: see shared/inbox/subscription.py
    Subscription(CallOpenedV1, intake.call_opened),
    Subscription(CallClosedV1, intake.call_closed),
    Subscription(ApplicationSubmittedV1, intake.application_submitted),
    Subscription(ApplicationScreenedV1, statuses.screened),
    Subscription(ApplicationWithdrawnV1, statuses.withdrawn),
    Subscription(ApplicationAssignedV1, statuses.assigned),
    Subscription(ApplicationScoredV1, statuses.scored),
    Subscription(ApplicationDecidedV1, statuses.decided),
    Subscription(GrantCreatedV1, intake.grant_created),
    Subscription(TranchePaidV1, intake.tranche_paid),
    Subscription(GrantCompletedV1, intake.grant_completed),
)
