"""Tables and API models of the scoring service."""

from services.scoring.models.base import INFRA, Base
from services.scoring.models.calls import Call
from services.scoring.models.committee import CommitteeRecusal, DecisionProposal
from services.scoring.models.reviews import Application, DecisionRecord, Officer, Review

__all__ = [
    "INFRA",
    "Application",
    "Base",
    "Call",
    "CommitteeRecusal",
    "DecisionProposal",
    "DecisionRecord",
    "Officer",
    "Review",
]
