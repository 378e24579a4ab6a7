from fastapi import FastAPI

from services.applications.api import routers
from services.applications.consumers import SUBSCRIPTIONS
from services.applications.handlers.common import IntakeConfig
from services.applications.models import INFRA
from services.applications.settings import Settings
from shared.app import create_service_app


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    app = create_service_app(
        settings=settings,
        infra=INFRA,
        routers=routers,
        subscriptions=SUBSCRIPTIONS,
        title="EDF Grants — applications",
    )
    assert settings.documents_dir is not None
    app.state.intake = IntakeConfig(
        identity_key=settings.identity_key.get_secret_value().encode(),
        documents_dir=settings.documents_dir,
        max_documents=settings.max_documents,
    )
    return app
