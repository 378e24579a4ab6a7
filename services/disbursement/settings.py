from pydantic import Field, field_validator, model_validator
from pydantic_settings import SettingsConfigDict
from schwifty import BIC, IBAN

from services.disbursement.domain.pain001 import Debtor
from shared.settings import ServiceSettings

# The fund's own account, the debtor of pain.001 files. Development values only (the IBAN is
# the registry's example for Iraq): production refuses to start with them.
DEV_DEBTOR_IBAN = "IQ98NBIQ850123456789012"
DEV_DEBTOR_BIC = "NBIQIQBA"


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DISBURSEMENT_", extra="ignore")

    service_name: str = "disbursement"
    port: int = 8003
    debtor_name: str = "Enterprise Development Fund (development)"
    debtor_iban: str = DEV_DEBTOR_IBAN
    debtor_bic: str = DEV_DEBTOR_BIC
    max_status_report_bytes: int = Field(default=10 * 1024 * 1024, ge=1)  # a bank status file (413 above)

    @field_validator("debtor_iban")
    @classmethod
    def _iban(cls, value: str) -> str:
        return IBAN(value).compact

    @field_validator("debtor_bic")
    @classmethod
    def _bic(cls, value: str) -> str:
        return BIC(value).compact

    @model_validator(mode="after")
    def _no_development_account_in_production(self) -> "Settings":
        if self.env == "production" and self.debtor_iban == DEV_DEBTOR_IBAN:
            raise ValueError("DISBURSEMENT_DEBTOR_NAME, _IBAN and _BIC must name the fund's account in production")
        return self

    def debtor(self) -> Debtor:
        return Debtor(name=self.debtor_name, iban=self.debtor_iban, bic=self.debtor_bic)
