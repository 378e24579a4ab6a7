from fastapi import FastAPI

from services.disbursement.api import routers
from services.disbursement.consumers import SUBSCRIPTIONS
from services.disbursement.domain.pain001 import Debtor
from services.disbursement.handlers.timeline import application_entities
from services.disbursement.models import INFRA
from services.disbursement.settings import Settings
from shared.app import create_service_app


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    app = create_service_app(
        settings=settings,
        infra=INFRA,
        routers=routers,
        subscriptions=SUBSCRIPTIONS,
        title="EDF Grants — disbursement",
        timeline_entities=application_entities,
    )
    app.state.debtor = Debtor(name=settings.debtor_name, iban=settings.debtor_iban, bic=settings.debtor_bic)
    return app
