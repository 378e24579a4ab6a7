from fastapi import FastAPI

from services.monitoring.api import routers
from services.monitoring.consumers import SUBSCRIPTIONS
from services.monitoring.models import INFRA
from services.monitoring.settings import Settings
from shared.app import create_service_app


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(
        settings=settings or Settings(),
        infra=INFRA,
        routers=routers,
        subscriptions=SUBSCRIPTIONS,
        title="EDF Grants — monitoring",
    )
