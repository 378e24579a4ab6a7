"""Events the scoring service consumes, mapped to its handlers.

The applications' events come through one durable consumer (`scoring--EDF_APPLICATIONS`), in
stream order: a call is opened before its applications are submitted, an application is
submitted before it is screened or withdrawn. Officers come from the gateway's stream.
"""

from services.scoring.handlers.events import intake
from shared.inbox import Subscription

SUBSCRIPTIONS: list[Subscription] = [
    Subscription("edf.applications.call.opened.v1", intake.call_opened),
    Subscription("edf.applications.call.closed.v1", intake.call_closed),
    Subscription("edf.applications.application.submitted.v1", intake.application_submitted),
    Subscription("edf.applications.application.screened.v1", intake.application_screened),
    Subscription("edf.applications.application.withdrawn.v1", intake.application_withdrawn),
    Subscription("edf.gateway.user.created.v1", intake.user_created),
]
