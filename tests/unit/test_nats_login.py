"""An app's NATS login: its own user, and in production never none."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from shared.settings import CommonSettings, nats_login


def test_production_refuses_to_connect_to_nats_without_a_user() -> None:
    for user, password in ((None, None), ("scoring", None), (None, "s3cretpassw0rdlong")):
        settings = CommonSettings(
            env="production", nats_user=user, nats_password=SecretStr(password) if password else None
        )
        with pytest.raises(ValueError, match="EDF_NATS_USER"):
            nats_login(settings)


def test_an_app_connects_as_its_own_user_and_development_may_go_without() -> None:
    own = CommonSettings(env="production", nats_user="scoring", nats_password=SecretStr("Ab3dEfGh1jKlMn0pQr5t"))
    assert (nats_login(own).user, nats_login(own).password) == ("scoring", "Ab3dEfGh1jKlMn0pQr5t")
    assert nats_login(CommonSettings(env="development")).user is None
