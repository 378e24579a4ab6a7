"""Tokens through the gateway and a service: the gateway signs with its private key, the
service verifies with only the public keys (a JWKS file), the JWKS document is published, and a
key rotation keeps the old kid valid until it leaves the set."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import jwt
import pytest
from fastapi.testclient import TestClient

from gateway.main import create_app
from services.applications.settings import Settings as ApplicationsSettings
from shared.jwk import SigningKey, generate_signing_key, parse_jwks, write_jwks, write_private_key
from shared.migrate import APPS, upgrade
from tests.support.apps import running_app, settings_for
from tests.support.gateway import assert_problem, bearer, gateway_settings, login, register, unique_email
from tests.support.keys import session_key

ROUTE = "/api/v1/applications"  # any signed-in user may list (their own) applications


def jwks_file(folder: Path, *keys: SigningKey) -> Path:
    path = folder / f"jwks-{'-'.join(k.kid[:6] for k in keys)}.json"
    write_jwks(path, [key.key.public_key() for key in keys])
    return path


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[TestClient]:
    url = f"sqlite:///{tmp_path / 'gateway.db'}"
    upgrade("gateway", url)
    with TestClient(create_app(gateway_settings(url, login_rate_limit=1000))) as client:
        yield client


def service(tmp_path: Path, nats_url: str, jwks: Path) -> AbstractContextManager[TestClient]:
    """The applications service with only public keys: nothing it holds can sign."""
    here = tmp_path / f"applications-{jwks.stem}"
    return running_app(
        "applications", f"sqlite:///{here}.db", nats_url, documents_dir=here / "documents", jwt_public_keys_file=jwks
    )


def test_no_service_has_a_private_key_setting() -> None:
    for app in APPS:
        settings = settings_for(app, database_url="sqlite://")
        assert ("jwt_private_key_file" in type(settings).model_fields) == (app == "gateway"), app
    assert "jwt_secret" not in ApplicationsSettings.model_fields


def test_a_token_from_the_gateway_verifies_at_a_service_with_only_the_public_keys(
    gateway: TestClient, tmp_path: Path, nats_url: str
) -> None:
    email = unique_email()
    register(gateway, email)
    token = login(gateway, email)
    key, _, public = session_key()
    assert jwt.get_unverified_header(token)["kid"] == key.kid
    with service(tmp_path, nats_url, public) as app:
        assert app.app.state.token_config.signing is None  # type: ignore[attr-defined]
        assert app.get(ROUTE, headers=bearer(token)).status_code == 200
        # Signed by a key that is not in the service's JWKS: refused.
        other = generate_signing_key()
        forged = jwt.encode(
            jwt.decode(token, options={"verify_signature": False}), other.key, "EdDSA", {"kid": other.kid}
        )
        assert_problem(app.get(ROUTE, headers=bearer(forged)), 401)


def test_the_gateway_publishes_its_jwks(gateway: TestClient) -> None:
    response = gateway.get("/.well-known/jwks.json")
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    assert "max-age" in response.headers["cache-control"]
    document = response.json()
    key, _, public = session_key()
    assert document == json.loads(public.read_text())
    (jwk,) = document["keys"]
    assert jwk == {**jwk, "kty": "OKP", "crv": "Ed25519", "use": "sig", "alg": "EdDSA", "kid": key.kid}
    assert set(jwk) == {"kty", "crv", "x", "kid", "use", "alg"}  # no private member
    assert parse_jwks(document).keys() == {key.kid}


def test_key_rotation_old_kid_accepted_until_it_is_removed(tmp_path: Path, nats_url: str) -> None:
    """docs/deploy.md's steps: add the new key to the JWKS, switch the gateway to it, wait for the
    longest token lifetime, remove the old one."""
    old = generate_signing_key()
    new = generate_signing_key()
    write_private_key(tmp_path / "old.pem", old)
    write_private_key(tmp_path / "new.pem", new)
    url = f"sqlite:///{tmp_path / 'gateway.db'}"
    upgrade("gateway", url)

    def gateway_with(private: Path, jwks: Path) -> TestClient:
        settings = gateway_settings(url, login_rate_limit=1000, jwt_private_key_file=private, jwt_public_keys_file=jwks)
        return TestClient(create_app(settings))

    only_old, both, only_new = jwks_file(tmp_path, old), jwks_file(tmp_path, old, new), jwks_file(tmp_path, new)
    email = unique_email()
    with gateway_with(tmp_path / "old.pem", only_old) as before:
        register(before, email)
        old_token = login(before, email)
    # Switching the gateway to a key that is not yet in the set is refused at start.
    with pytest.raises(ValueError, match="not in EDF_JWT_PUBLIC_KEYS_FILE"):
        gateway_with(tmp_path / "new.pem", only_old)
    with gateway_with(tmp_path / "new.pem", both) as during:
        new_token = login(during, email)
        assert jwt.get_unverified_header(new_token)["kid"] == new.kid
        assert {k["kid"] for k in during.get("/.well-known/jwks.json").json()["keys"]} == {old.kid, new.kid}
        assert during.get("/api/v1/auth/me", headers=bearer(old_token)).status_code == 200
    with service(tmp_path, nats_url, both) as app:
        assert app.get(ROUTE, headers=bearer(old_token)).status_code == 200
        assert app.get(ROUTE, headers=bearer(new_token)).status_code == 200
    with service(tmp_path, nats_url, only_new) as app:  # the old key removed
        assert_problem(app.get(ROUTE, headers=bearer(old_token)), 401)
        assert app.get(ROUTE, headers=bearer(new_token)).status_code == 200
    with gateway_with(tmp_path / "new.pem", only_new) as after:
        assert_problem(after.get("/api/v1/auth/me", headers=bearer(old_token)), 401)
        assert after.get("/api/v1/auth/me", headers=bearer(new_token)).status_code == 200
