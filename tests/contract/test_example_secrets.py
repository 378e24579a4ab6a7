"""Production refuses every secret the repository shows as an example: the values are read from
the example files themselves (tests/support/examples.py), so a new example value (a NATS
password, a new env example) is checked without anyone listing it here."""

from __future__ import annotations

import importlib
from typing import Any
from urllib.parse import quote

import pytest
from pydantic import SecretStr, ValidationError

from shared.example_secrets import EXAMPLE_SECRETS, example_secret_settings
from shared.migrate import APPS
from shared.settings import CommonSettings
from tests.support.apps import REPO
from tests.support.examples import example_values

FOUND = example_values(REPO)
REAL = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"


def settings_class(app: str) -> Any:
    return importlib.import_module(f"{APPS[app]}.settings").Settings


def secret_fields(app: str) -> list[str]:
    fields = settings_class(app).model_fields
    return [name for name, field in fields.items() if "SecretStr" in str(field.annotation)]


# What production needs besides secrets (the fund's account instead of the development one).
NEEDED = {"disbursement": {"debtor_iban": "DE89370400440532013000", "debtor_bic": "COBADEFFXXX"}}


def production(app: str, **values: Any) -> Any:
    """The app's settings in production, every secret a real-looking one unless given."""
    real = {name: REAL for name in secret_fields(app)}
    return settings_class(app)(env="production", **{**NEEDED.get(app, {}), **real, **values})


def test_the_examples_are_found() -> None:
    assert {"replace-with-a-long-password", "replace", "change-me-dev-password"} <= set(FOUND)


def test_every_example_value_is_in_the_list() -> None:
    missing = {value: sorted(map(str, files)) for value, files in FOUND.items() if value not in EXAMPLE_SECRETS}
    assert not missing, f"add to shared/example_secrets.py EXAMPLE_SECRETS: {missing}"


def test_real_values_are_accepted_in_production() -> None:
    for app in APPS:
        settings = production(app, database_url=f"postgresql+psycopg://edf:{REAL}@db:5432/edf")
        assert example_secret_settings(settings) == [], app


@pytest.mark.parametrize("value", sorted(FOUND))
def test_production_refuses_each_example_value(value: str) -> None:
    # Every secret setting of every app.
    for app in APPS:
        for name in secret_fields(app):
            with pytest.raises(ValidationError, match="shown in the repository's examples"):
                production(app, **{name: value})
    # The password of a database URL, of a NATS URL (one server or a cluster's).
    with pytest.raises(ValidationError, match="SCORING_DATABASE_URL"):
        production("scoring", database_url=f"postgresql+psycopg://edf_scoring:{quote(value, safe='')}@db:5432/x")
    with pytest.raises(ValidationError, match="EDF_NATS_URL"):
        CommonSettings(env="production", nats_url=f"nats://n1:4222,nats://edf:{quote(value, safe='')}@n2:4222")
    # In development the same values are accepted (the examples are for trying it out).
    assert CommonSettings(nats_url=f"nats://edf:{quote(value, safe='')}@n2:4222").env == "development"


def test_the_gateway_refuses_the_example_bootstrap_password_in_production() -> None:
    with pytest.raises(ValidationError, match="EDF_BOOTSTRAP_ADMIN_PASSWORD"):
        production("gateway", bootstrap_admin_password=SecretStr("replace-with-a-long-password"))
