from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DISBURSEMENT_", extra="ignore")

    service_name: str = "disbursement"
    port: int = 8003
