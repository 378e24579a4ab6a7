from fastapi import FastAPI

from services.disbursement.api import routers
from services.disbursement.consumers import SUBSCRIPTIONS
from services.disbursement.handlers.timeline import application_entities
from services.disbursement.models import INFRA
from services.disbursement.settings import Settings
from shared.app import create_service_app


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(
        settings=settings or Settings(),
        infra=INFRA,
        routers=routers,
        subscriptions=SUBSCRIPTIONS,
        title="EDF Grants — disbursement",
        timeline_entities=application_entities,
    )
