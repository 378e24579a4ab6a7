"""The gateway's settings: `GATEWAY_*` variables, plus the `EDF_*` ones the contract names."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from gateway.forwarded import TrustedProxies
from shared.roles import Role
from shared.settings import ServiceSettings

MIB = 1024 * 1024
DEV_TOTP_KEY = "edf-development-totp-key-do-not-use-in-production"
UPSTREAMS = ("applications", "scoring", "disbursement", "monitoring")  # each has a `<name>_url` setting


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore", populate_by_name=True)

    service_name: str = "gateway"
    port: int = Field(default=8000, ge=1, le=65535, validation_alias=AliasChoices("EDF_GATEWAY_PORT", "GATEWAY_PORT"))

    # Prometheus metrics of the gateway, on this address only (never on the public port); 0: none.
    metrics_host: str = "127.0.0.1"
    metrics_port: int = Field(default=8010, ge=0, le=65535)

    applications_url: str = "http://127.0.0.1:8001"
    scoring_url: str = "http://127.0.0.1:8002"
    disbursement_url: str = "http://127.0.0.1:8003"
    monitoring_url: str = "http://127.0.0.1:8004"

    # The private key the gateway signs tokens with (PEM, Ed25519 or RSA 2048+): its kid must be
    # in EDF_JWT_PUBLIC_KEYS_FILE. No other app has this setting (docs/deploy.md, "Tokens and keys").
    jwt_private_key_file: Path | None = Field(default=None, validation_alias="EDF_JWT_PRIVATE_KEY_FILE")

    bootstrap_admin_email: str | None = Field(default=None, validation_alias="EDF_BOOTSTRAP_ADMIN_EMAIL")
    bootstrap_admin_password: SecretStr | None = Field(default=None, validation_alias="EDF_BOOTSTRAP_ADMIN_PASSWORD")

    max_request_bytes: int = Field(default=12 * MIB, ge=1)  # any body (uploads: multipart/form-data)
    max_json_bytes: int = Field(default=1 * MIB, ge=1)  # and any body but multipart/form-data (JSON, forms)
    upstream_connect_timeout: float = Field(default=2.0, gt=0)
    upstream_read_timeout: float = Field(default=30.0, gt=0)
    upstream_pool_timeout: float = Field(default=5.0, gt=0)
    upstream_max_connections: int = Field(default=200, ge=1)
    openapi_cache_seconds: float = Field(default=30.0, ge=0)

    # The API's limits (`gateway.limits`): sign-in per client address and email, and per client
    # address whatever the email; sign-up per client address; submit per user account (per
    # client address for a request without a valid token). Each is N per window seconds.
    login_rate_limit: int = Field(default=10, ge=1)
    login_rate_window_seconds: float = Field(default=60.0, gt=0)
    login_address_rate_limit: int = Field(default=60, ge=1)
    signup_rate_limit: int = Field(default=20, ge=1)
    signup_rate_window_seconds: float = Field(default=60.0, gt=0)
    submit_rate_limit: int = Field(default=10, ge=1)
    submit_rate_window_seconds: float = Field(default=60.0, gt=0)
    # Failed sign-ins per account, whatever the address (`gateway.signin`): after this many in a
    # row, 429 for `delay` seconds, doubled at each further failure up to `max_delay`; a success
    # or `forget` seconds of quiet reset them.
    login_account_failures: int = Field(default=5, ge=1)
    login_account_delay_seconds: float = Field(default=30.0, gt=0)
    login_account_max_delay_seconds: float = Field(default=900.0, gt=0)
    login_account_forget_seconds: float = Field(default=3600.0, gt=0)
    # The web pages: sign-in, sign-up and submit, each per client address.
    web_rate_limit: int = Field(default=20, ge=1)
    web_rate_window_seconds: float = Field(default=60.0, gt=0)

    # The proxies in front of the gateway (ingress controller, load balancer, TLS reverse proxy):
    # addresses or CIDR ranges, comma-separated; X-Forwarded-For and X-Forwarded-Proto count
    # only from them (`gateway.forwarded`). Empty: clients connect directly.
    trusted_proxies: str = Field(
        default="127.0.0.1,::1",
        validation_alias=AliasChoices("EDF_TRUSTED_PROXIES", "FORWARDED_ALLOW_IPS"),
    )
    # Strict-Transport-Security's max-age on answers served over HTTPS; 0: no HSTS header.
    hsts_max_age_seconds: int = Field(default=31_536_000, ge=0)

    @field_validator("trusted_proxies")
    @classmethod
    def _parse_trusted_proxies(cls, value: str) -> str:
        TrustedProxies.parse(value)  # refuses what is not an address or a range, at start
        return value

    # The second factor (`gateway.mfa`): the key that encrypts the TOTP secrets and keys the hashes
    # of the recovery codes (changing it disables every enrolment); the roles whose accounts must
    # enrol (`GET /api/v1/auth/totp` says so); wrong codes per account, N per window seconds.
    totp_key: SecretStr = SecretStr(DEV_TOTP_KEY)
    mfa_required_roles: frozenset[Role] | str = Field(
        default=frozenset({Role.admin, Role.finance, Role.committee}), validation_alias="EDF_MFA_REQUIRED_ROLES"
    )
    totp_rate_limit: int = Field(default=5, ge=1)
    totp_rate_window_seconds: float = Field(default=300.0, gt=0)

    @field_validator("mfa_required_roles", mode="before")
    @classmethod
    def _roles(cls, value: object) -> object:
        if isinstance(value, str):  # EDF_MFA_REQUIRED_ROLES=admin,finance,committee
            return frozenset(Role(part.strip()) for part in value.split(",") if part.strip())
        return value

    @model_validator(mode="after")
    def _totp_key_in_production(self) -> Settings:
        key = self.totp_key.get_secret_value()
        if self.env == "production" and (key == DEV_TOTP_KEY or len(key) < 32):
            raise ValueError("GATEWAY_TOTP_KEY must be set to a secret of 32+ characters in production")
        return self

    def required_roles(self) -> frozenset[Role]:
        roles = self.mfa_required_roles
        assert not isinstance(roles, str)  # parsed by the validator
        return roles

    def upstreams(self) -> dict[str, str]:
        """Each upstream service by name, its base URL without a trailing slash."""
        return {name: str(getattr(self, f"{name}_url")).rstrip("/") for name in UPSTREAMS}
