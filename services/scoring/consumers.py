"""Events the scoring service consumes, mapped to its handlers.

The applications' events come through one durable consumer (`scoring--EDF_APPLICATIONS`), in
stream order: a call is opened before its applications are submitted, an application is
submitted before it is screened or withdrawn. Officers come from the gateway's stream.
"""

from services.scoring.handlers.events import intake
from shared.events.applications import ApplicationScreenedV1, ApplicationSubmittedV1, ApplicationWithdrawnV1
from shared.events.calls import CallClosedV1, CallOpenedV1
from shared.events.users import UserCreatedV1
from shared.inbox import Subscription

SUBSCRIPTIONS = (  # no annotation: see shared/inbox/subscription.py
    Subscription(CallOpenedV1, intake.call_opened),
    Subscription(CallClosedV1, intake.call_closed),
    Subscription(ApplicationSubmittedV1, intake.application_submitted),
    Subscription(ApplicationScreenedV1, intake.application_screened),
    Subscription(ApplicationWithdrawnV1, intake.application_withdrawn),
    Subscription(UserCreatedV1, intake.user_created),
)
