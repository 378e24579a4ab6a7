"""Tables and API models of the monitoring service."""

from services.monitoring.models.base import INFRA, Base
from services.monitoring.models.copies import Application, Call, Grant, GrantTranche
from services.monitoring.models.visits import Flag, Job, JobObservation, ScheduledVisit, VerifiedMilestone, Visit

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
