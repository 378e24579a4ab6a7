"""Settings base: common `EDF_*` variables plus one env prefix per service."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.example_secrets import refuse_example_secrets
from shared.nats_auth import NatsLogin

DEFAULT_NATS_URL = "nats://127.0.0.1:14222"


def nats_servers(url: str) -> list[str]:
    """`EDF_NATS_URL` names one server or, comma-separated, several nodes of a cluster: the
    client connects to any and moves to another when it goes away."""
    servers = [part.strip() for part in url.split(",") if part.strip()]
    if not servers:
        raise ValueError("EDF_NATS_URL names no NATS server")
    return servers


class CommonSettings(BaseSettings):
    """What every process shares; read from `EDF_*` whatever the service's own prefix."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    env: str = Field("development", validation_alias="EDF_ENV")
    var_dir: Path = Field(Path("var"), validation_alias="EDF_VAR_DIR")
    nats_url: str = Field(DEFAULT_NATS_URL, validation_alias="EDF_NATS_URL")  # one URL, or a cluster's, comma-separated
    # Replicas of the streams the services create (3 on a three-node cluster); a start never
    # lowers the replicas of an existing stream (an operator may have raised them).
    stream_replicas: int = Field(1, ge=1, le=5, validation_alias="EDF_STREAM_REPLICAS")
    # The public keys that tokens are verified with (a JWKS document, `edf jwt jwks`); only the
    # gateway also holds a private key (gateway/settings.py).
    jwt_public_keys_file: Path | None = Field(None, validation_alias="EDF_JWT_PUBLIC_KEYS_FILE")
    # The app's own NATS user (shared.nats_auth: one per app, with its permissions) and password;
    # none: connect without (a server without authorization, e.g. a developer's own).
    nats_user: str | None = Field(None, validation_alias="EDF_NATS_USER")
    nats_password: SecretStr | None = Field(None, validation_alias="EDF_NATS_PASSWORD")
    # The CA that signed the NATS server's certificate, for `tls://` URLs (else the system's CAs).
    nats_tls_ca_file: Path | None = Field(None, validation_alias="EDF_NATS_TLS_CA_FILE")
    # How long an event that carries payee data (a payment instruction) stays in its stream.
    payee_data_max_age_days: float = Field(30, gt=0, le=3650, validation_alias="EDF_PAYEE_DATA_MAX_AGE_DAYS")
    jwt_issuer: str = Field("edf-grants", validation_alias="EDF_JWT_ISSUER")
    jwt_audience: str = Field("edf-api", validation_alias="EDF_JWT_AUDIENCE")
    log_level: str = Field("INFO", validation_alias="EDF_LOG_LEVEL")

    @model_validator(mode="after")
    def _refuse_example_secrets_in_production(self) -> CommonSettings:
        if self.env == "production":
            refuse_example_secrets(self)
        return self


def nats_login(settings: CommonSettings) -> NatsLogin:
    """How the app connects to NATS; in production only as its own user (the shipped permissions)."""
    password = settings.nats_password.get_secret_value() if settings.nats_password is not None else None
    if settings.env == "production" and not (settings.nats_user and password):
        raise ValueError("in production an app connects to NATS as its own user: set EDF_NATS_USER, EDF_NATS_PASSWORD")
    return NatsLogin(settings.nats_user or None, password, settings.nats_tls_ca_file)


class ServiceSettings(CommonSettings):
    """A service's settings; subclasses set `env_prefix` (e.g. `SCORING_`)."""

    service_name: str = "service"
    host: str = "127.0.0.1"
    port: int = 8001
    database_url: str = ""
    consumer_max_deliver: int = Field(6, ge=1)
    consumer_ack_wait_seconds: float = Field(30.0, gt=0)
    consumer_fetch_batch: int = Field(50, ge=1, le=1000)  # events applied in one transaction at most

    @model_validator(mode="after")
    def _default_database(self) -> ServiceSettings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.var_dir / (self.service_name + '.db')}"
        return self
