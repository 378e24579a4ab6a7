"""Tables and API models of the applications service."""

from services.applications.models.api import CallOut, CallStatusOut
from services.applications.models.applications import Application, CallCounter, Document
from services.applications.models.base import INFRA, Base
from services.applications.models.calls import Call

__all__ = ["INFRA", "Application", "Base", "Call", "CallCounter", "CallOut", "CallStatusOut", "Document"]
