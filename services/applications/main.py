from fastapi import FastAPI

from services.applications.api import routers
from services.applications.consumers import SUBSCRIPTIONS
from services.applications.models import INFRA
from services.applications.settings import Settings
from shared.app import create_service_app


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(
        settings=settings or Settings(),
        infra=INFRA,
        routers=routers,
        subscriptions=SUBSCRIPTIONS,
        title="EDF Grants — applications",
    )
