"""Production refuses the secrets that the repository shows as examples.

`EXAMPLE_SECRETS` holds every secret-looking value of the example files (README, docs/,
docker-compose.yml, deploy/: env examples, Kubernetes secrets, configs).
tests/contract/test_example_secrets.py scans those files and fails, naming the value, when one
is missing here, so the list cannot drift from the files; it also proves that a production
process refuses each one.

The check is generic: every `SecretStr` setting and the password of every URL setting (database
URLs, NATS URLs with credentials) of a process's settings, whatever the service adds.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel, SecretStr

from shared.nats_auth import USERS

EXAMPLE_SECRETS = frozenset(
    {
        "change-me",
        "change-me-dev-password",
        "edf-dev-cluster-identity-key-change-me-0123456789",
        "edf-dev-cluster-secret-change-me-0123456789abcdef",
        "pass",
        "password",
        "replace",
        "replace-with-64-hex-characters",
        "replace-with-64-hex-characters-and-never-change-it",
        "replace-with-64-hex-characters-replace-with-64-hex-characters",
        "replace-with-a-long-password",
        "replace-with-hex",
        # Shown by earlier releases (EDF_JWT_SECRET's development default).
        "edf-development-secret-do-not-use-in-production",
        # The NATS users' example passwords (compose.env.example, nats-users.env.example).
        *(f"replace{user}withedfandhex" for user in USERS),
    }
)


def _url_passwords(value: str) -> Iterator[str]:
    for part in value.split(","):  # EDF_NATS_URL may name several servers
        if "://" in part:
            try:
                password = urlsplit(part.strip()).password
            except ValueError:
                continue
            if password:
                yield unquote(password)


def _secrets_of(settings: BaseModel) -> Iterator[tuple[str, str]]:
    for name, value in settings:
        if isinstance(value, SecretStr):
            yield name, value.get_secret_value()
        elif isinstance(value, str):
            for password in _url_passwords(value):
                yield name, password


def _variable(settings: BaseModel, name: str) -> str:
    alias = type(settings).model_fields[name].validation_alias
    if isinstance(alias, str):
        return alias
    prefix = str(settings.model_config.get("env_prefix", ""))
    return f"{prefix}{name}".upper()


def example_secret_settings(settings: BaseModel) -> list[str]:
    """The variables of `settings` whose secret is one of the repository's examples."""
    return sorted({_variable(settings, name) for name, secret in _secrets_of(settings) if secret in EXAMPLE_SECRETS})


def refuse_example_secrets(settings: BaseModel) -> None:
    found = example_secret_settings(settings)
    if found:
        raise ValueError(
            f"{', '.join(found)}: a value shown in the repository's examples; set a secret of your own in production"
        )
