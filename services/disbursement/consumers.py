"""Events the disbursement service consumes, mapped to its handlers.

One durable consumer per source stream (`disbursement--EDF_APPLICATIONS`, `--EDF_SCORING`,
`--EDF_MONITORING`, `--EDF_FINANCE`): each stream's events arrive in order, while an award
(scoring) may arrive before its application (applications): it is retried until that is here.
"""

from services.disbursement.handlers.events import intake, payments
from shared.inbox import Subscription

SUBSCRIPTIONS: list[Subscription] = [
    Subscription("edf.applications.call.opened.v1", intake.call_opened),
    Subscription("edf.applications.call.closed.v1", intake.call_closed),
    Subscription("edf.applications.application.submitted.v1", intake.application_submitted),
    Subscription("edf.scoring.application.decided.v1", intake.application_decided),
    Subscription("edf.monitoring.milestone.verified.v1", intake.milestone_verified),
    Subscription("edf.monitoring.grant.flagged.v1", intake.grant_flagged),
    Subscription("edf.monitoring.flag.resolved.v1", intake.flag_resolved),
    Subscription("edf.finance.payment.settled.v1", payments.payment_settled),
    Subscription("edf.finance.payment.failed.v1", payments.payment_failed),
]
