from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="APPLICATIONS_", extra="ignore")

    service_name: str = "applications"
    port: int = 8001
