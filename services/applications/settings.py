from dataclasses import dataclass
from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings

DEV_IDENTITY_KEY = "edf-development-identity-key-do-not-use-in-production"


@dataclass(frozen=True)
class IntakeConfig:
    """What the intake use cases need of the settings: the identity key and the documents' limits."""

    identity_key: bytes
    documents_dir: Path
    max_documents: int = 20
    max_document_bytes: int = 10 * 1024 * 1024


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="APPLICATIONS_", extra="ignore")

    service_name: str = "applications"
    port: int = 8001
    # Key of the hashes that match national ids and phones; changing it breaks duplicate detection.
    identity_key: SecretStr = SecretStr(DEV_IDENTITY_KEY)
    documents_dir: Path | None = None
    max_documents: int = Field(20, ge=1, le=200)

    @model_validator(mode="after")
    def _defaults(self) -> "Settings":
        if self.documents_dir is None:
            self.documents_dir = self.var_dir / "documents"
        key = self.identity_key.get_secret_value()
        if self.env == "production" and (key == DEV_IDENTITY_KEY or len(key) < 32):
            raise ValueError("APPLICATIONS_IDENTITY_KEY must be set to a secret of 32+ characters in production")
        return self

    def intake(self) -> IntakeConfig:
        assert self.documents_dir is not None  # set by the validator
        return IntakeConfig(
            identity_key=self.identity_key.get_secret_value().encode(),
            documents_dir=self.documents_dir,
            max_documents=self.max_documents,
        )
