from fastapi import FastAPI

from services.scoring.api import routers
from services.scoring.consumers import SUBSCRIPTIONS
from services.scoring.models import INFRA
from services.scoring.settings import Settings
from shared.app import create_service_app


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(
        settings=settings or Settings(),
        infra=INFRA,
        routers=routers,
        subscriptions=SUBSCRIPTIONS,
        title="EDF Grants — scoring",
    )
