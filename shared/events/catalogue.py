"""The catalogue: every event the system publishes, as the tuple of its data classes.

A new event is added here (and nowhere else besides its class); the JSON Schemas,
`docs/asyncapi.json` and `docs/events.md` are generated from this tuple, and consumers find an
event's class by its subject here.
"""

from __future__ import annotations

from shared.events.applications import (
    ApplicationDecidedV1,
    ApplicationScoredV1,
    ApplicationScreenedV1,
    ApplicationSubmittedV1,
    ApplicationWithdrawnV1,
)
from shared.events.calls import CallClosedV1, CallOpenedV1
from shared.events.disbursement import (
    FinanceReportRejectedV1,
    GrantCompletedV1,
    GrantCreatedV1,
    PaymentInstructedV1,
    TrancheApprovedV1,
    TranchePaidV1,
)
from shared.events.envelope import EventData
from shared.events.finance import PaymentFailedV1, PaymentSettledV1
from shared.events.monitoring import FlagResolvedV1, GrantFlaggedV1, MilestoneVerifiedV1, VisitRecordedV1
from shared.events.scoring import ApplicationAssignedV1, DecisionProposedV1
from shared.events.users import UserCreatedV1

CATALOGUE: tuple[type[EventData], ...] = (
    UserCreatedV1,
    CallOpenedV1,
    CallClosedV1,
    ApplicationSubmittedV1,
    ApplicationScreenedV1,
    ApplicationWithdrawnV1,
    ApplicationAssignedV1,
    ApplicationScoredV1,
    DecisionProposedV1,
    ApplicationDecidedV1,
    GrantCreatedV1,
    TrancheApprovedV1,
    PaymentInstructedV1,
    TranchePaidV1,
    GrantCompletedV1,
    PaymentSettledV1,
    PaymentFailedV1,
    FinanceReportRejectedV1,
    VisitRecordedV1,
    MilestoneVerifiedV1,
    GrantFlaggedV1,
    FlagResolvedV1,
)


def _by_subject(events: tuple[type[EventData], ...]) -> dict[str, type[EventData]]:
    by_subject: dict[str, type[EventData]] = {}
    for event in events:
        if event.subject in by_subject:
            raise ValueError(f"two event classes name {event.subject}")
        by_subject[event.subject] = event
    return by_subject


EVENTS: dict[str, type[EventData]] = _by_subject(CATALOGUE)


def data_model_for(subject: str) -> type[EventData] | None:
    return EVENTS.get(subject)
