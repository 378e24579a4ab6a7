"""Tables and API models of the monitoring service."""

from services.monitoring.models.tables import (
    INFRA,
    Application,
    Base,
    Call,
    Flag,
    Grant,
    GrantTranche,
    Job,
    JobObservation,
    ScheduledVisit,
    VerifiedMilestone,
    Visit,
)

__all__ = [
    "INFRA",
    "Application",
    "Base",
    "Call",
    "Flag",
    "Grant",
    "GrantTranche",
    "Job",
    "JobObservation",
    "ScheduledVisit",
    "VerifiedMilestone",
    "Visit",
]
