"""Events the disbursement service consumes, mapped to its handlers.

One durable consumer per source stream (`disbursement--EDF_APPLICATIONS`, `--EDF_SCORING`,
`--EDF_MONITORING`, `--EDF_FINANCE`): each stream's events arrive in order, while an award
(scoring) may arrive before its application (applications): it is retried until that is here.
"""

from services.disbursement.handlers.events import intake, payments
from shared.events.applications import ApplicationDecidedV1, ApplicationSubmittedV1
from shared.events.calls import CallClosedV1, CallOpenedV1
from shared.events.finance import PaymentFailedV1, PaymentSettledV1
from shared.events.monitoring import FlagResolvedV1, GrantFlaggedV1, MilestoneVerifiedV1
from shared.inbox import Subscription

SUBSCRIPTIONS = (  # no annotation: see shared/inbox/subscription.py
    Subscription(CallOpenedV1, intake.call_opened),
    Subscription(CallClosedV1, intake.call_closed),
    Subscription(ApplicationSubmittedV1, intake.application_submitted),
    Subscription(ApplicationDecidedV1, intake.application_decided),
    Subscription(MilestoneVerifiedV1, intake.milestone_verified),
    Subscription(GrantFlaggedV1, intake.grant_flagged),
    Subscription(FlagResolvedV1, intake.flag_resolved),
    Subscription(PaymentSettledV1, payments.payment_settled, reject=payments.reject_report),
    Subscription(PaymentFailedV1, payments.payment_failed, reject=payments.reject_report),
)
