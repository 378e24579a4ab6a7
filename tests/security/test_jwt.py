"""Forged, stale and malformed tokens: 401 problem+json on the gateway's own routes and on a
service's, every one with the same body (no hint of which check failed, nothing of the token).

Tokens are EdDSA (Ed25519) with a `kid` (`shared/auth.py`): the key is picked by `kid` among
the JWKS's public keys and the algorithm by the key's type, so the classic confusions (HS256
"signed" with the public key, `alg: none`, a key embedded in the header, a `kid` naming a
file) have nothing to work with: the tests check that each is refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from gateway.main import create_app
from shared.auth import TokenConfig
from shared.jwk import generate_signing_key, public_jwk
from shared.migrate import upgrade
from tests.support.apps import running_app
from tests.support.gateway import PASSWORD, assert_problem, gateway_settings, login, register, unique_email
from tests.support.keys import signing_config

pytestmark = pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
CONFIG = signing_config()
Claims = dict[str, Any]
OTHER_KEY = generate_signing_key()  # a key pair of the forger's, in no JWKS


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def handmade(header: dict[str, Any], claims: Claims, key: bytes | None) -> str:
    """A token put together by hand: HMAC-SHA256 over it with `key`, or random bytes when None."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest() if key is not None else os.urandom(64)
    return f"{signing_input}.{b64(signature)}"


def claims_for(config: TokenConfig, user_id: uuid.UUID, **changes: Any) -> Claims:
    now = datetime.now(UTC)
    claims: Claims = {
        "sub": str(user_id),
        "email": "someone@example.org",
        "role": "admin",
        "iss": config.issuer,
        "aud": config.audience,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(hours=1)).timestamp()),
        "jti": uuid.uuid4().hex,
        "amr": ["pwd", "otp"],  # signed in with a second factor (the admin's routes need it)
    }
    for name, value in changes.items():
        if value is ...:
            claims.pop(name)
        else:
            claims[name] = value
    return claims


def _kid(config: TokenConfig) -> str:
    assert config.signing is not None
    return config.signing.kid


def signed(config: TokenConfig, user_id: uuid.UUID, **changes: Any) -> str:
    assert config.signing is not None
    key = config.signing
    return jwt.encode(
        claims_for(config, user_id, **changes), key.key, algorithm=key.algorithm, headers={"kid": key.kid}
    )


def _public_bytes(config: TokenConfig) -> bytes:
    assert config.signing is not None
    public = config.signing.key.public_key()
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _public_pem(config: TokenConfig) -> bytes:
    assert config.signing is not None
    return config.signing.key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _tampered(config: TokenConfig, user_id: uuid.UUID) -> str:
    """An applicant's real token whose payload is swapped for one that says admin."""
    header, _, signature = signed(config, user_id, role="applicant").split(".")
    return f"{header}.{b64(json.dumps(claims_for(config, user_id)).encode())}.{signature}"


def _bad_signature(config: TokenConfig, user_id: uuid.UUID) -> str:
    header, payload, signature = signed(config, user_id).split(".")
    middle = len(signature) // 2
    return f"{header}.{payload}.{signature[:middle]}{'A' if signature[middle] != 'A' else 'B'}{signature[middle + 1 :]}"


def _now_plus(hours: float) -> int:
    return int((datetime.now(UTC) + timedelta(hours=hours)).timestamp())


def _other_key(config: TokenConfig, user_id: uuid.UUID, kid: str | None) -> str:
    headers = {"kid": kid} if kid is not None else {}
    return jwt.encode(claims_for(config, user_id), OTHER_KEY.key, algorithm="EdDSA", headers=headers)


def _rsa_with_our_kid(config: TokenConfig, user_id: uuid.UUID) -> str:
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(claims_for(config, user_id), forger, algorithm="RS256", headers={"kid": _kid(config)})


def _embedded_jwk(config: TokenConfig, user_id: uuid.UUID) -> str:
    jwk = public_jwk(OTHER_KEY.key.public_key())
    headers = {"kid": jwk["kid"], "jwk": jwk}
    return jwt.encode(claims_for(config, user_id), OTHER_KEY.key, algorithm="EdDSA", headers=headers)


def _no_kid(config: TokenConfig, user_id: uuid.UUID) -> str:
    assert config.signing is not None
    return jwt.encode(claims_for(config, user_id), config.signing.key, algorithm="EdDSA")


Forge = Callable[[TokenConfig, uuid.UUID], str]
FORGED: dict[str, Forge] = {
    "alg none, no signature": lambda c, u: (
        handmade({"alg": "none", "typ": "JWT", "kid": _kid(c)}, claims_for(c, u), None).rsplit(".", 1)[0] + "."
    ),
    "alg NoNe": lambda c, u: handmade({"alg": "NoNe", "kid": _kid(c)}, claims_for(c, u), None).rsplit(".", 1)[0] + ".",
    "HS256 with the public key's bytes (key confusion)": lambda c, u: handmade(
        {"alg": "HS256", "kid": _kid(c)}, claims_for(c, u), _public_bytes(c)
    ),
    "HS256 with the public key's PEM (key confusion)": lambda c, u: handmade(
        {"alg": "HS256", "kid": _kid(c)}, claims_for(c, u), _public_pem(c)
    ),
    "HS256 with the JWK's x (key confusion)": lambda c, u: handmade(
        {"alg": "HS256", "kid": _kid(c)},
        claims_for(c, u),
        public_jwk(c.signing.key.public_key())["x"].encode(),  # type: ignore[union-attr]
    ),
    "HS256 with the old development secret": lambda c, u: jwt.encode(
        claims_for(c, u), "edf-development-secret-do-not-use-in-production", algorithm="HS256", headers={"kid": _kid(c)}
    ),
    "RS256 signed by the forger's key, our kid": _rsa_with_our_kid,
    "ES256 header, any signature": lambda c, u: handmade({"alg": "ES256", "kid": _kid(c)}, claims_for(c, u), None),
    "Ed448 header, any signature": lambda c, u: handmade({"alg": "Ed448", "kid": _kid(c)}, claims_for(c, u), None),
    "EdDSA by an unknown key, its own kid": lambda c, u: _other_key(c, u, OTHER_KEY.kid),
    "EdDSA by an unknown key, our kid": lambda c, u: _other_key(c, u, _kid(c)),
    "EdDSA by our key, no kid": _no_kid,
    "EdDSA by our key, kid in another case": lambda c, u: jwt.encode(
        claims_for(c, u),
        CONFIG.signing.key if CONFIG.signing else "",
        algorithm="EdDSA",
        headers={"kid": _kid(c).swapcase()},
    ),
    "embedded jwk of the forger's key": _embedded_jwk,
    "kid pointing at a file": lambda c, u: handmade(
        {"alg": "HS256", "kid": "../../../dev/null"}, claims_for(c, u), b""
    ),
    "kid not a string": lambda c, u: handmade({"alg": "EdDSA", "kid": ["x"]}, claims_for(c, u), None),
    "payload swapped (applicant to admin)": _tampered,
    "signature changed": _bad_signature,
    "no signature segment": lambda c, u: signed(c, u).rsplit(".", 1)[0],
    "expired an hour ago": lambda c, u: signed(c, u, iat=_now_plus(-2), exp=_now_plus(-1)),
    "expired a few seconds ago": lambda c, u: signed(c, u, exp=int(datetime.now(UTC).timestamp()) - 5),
    "not valid before tomorrow (nbf)": lambda c, u: signed(c, u, nbf=_now_plus(24)),
    "issued in the future (iat)": lambda c, u: signed(c, u, iat=_now_plus(24)),
    "wrong issuer": lambda c, u: signed(c, u, iss="someone-else"),
    "wrong audience": lambda c, u: signed(c, u, aud="someone-else"),
    "no expiry": lambda c, u: signed(c, u, exp=...),
    "no issuer": lambda c, u: signed(c, u, iss=...),
    "no audience": lambda c, u: signed(c, u, aud=...),
    "no subject": lambda c, u: signed(c, u, sub=...),
    "no role": lambda c, u: signed(c, u, role=...),
    "unknown role": lambda c, u: signed(c, u, role="superuser"),
    "role in another case": lambda c, u: signed(c, u, role="Admin"),
    "role as a list": lambda c, u: signed(c, u, role=["admin"]),
    "subject not a uuid": lambda c, u: signed(c, u, sub="admin"),
    "subject a number": lambda c, u: signed(c, u, sub=12345),
    "expiry not a number": lambda c, u: signed(c, u, exp="tomorrow"),
    "not a token": lambda c, u: "not.a.token",
    "very long": lambda c, u: "x" * 6000,
}
LEAKS = ("signature", "algorithm", "audience", "issuer", "decode", "jwt", "claim", "segment", "padding")


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    url = f"sqlite:///{tmp_path_factory.mktemp('jwt') / 'gateway.db'}"
    upgrade("gateway", url)
    with TestClient(create_app(gateway_settings(url, login_rate_limit=1000))) as client:
        yield client


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, nats_url: str) -> Iterator[TestClient]:
    here = tmp_path_factory.mktemp("jwt-service")
    with running_app(
        "applications", f"sqlite:///{here / 'applications.db'}", nats_url, documents_dir=here / "documents"
    ) as client:
        yield client


def targets(gateway: TestClient, service: TestClient) -> list[tuple[TestClient, str, str, dict[str, Any]]]:
    """(app, method, path, request arguments): a route for any signed-in user and an admin's route."""
    new_user = {"email": unique_email(), "password": PASSWORD, "full_name": "Forged Admin", "role": "admin"}
    return [
        (gateway, "GET", "/api/v1/auth/me", {}),
        (gateway, "POST", "/api/v1/users", {"json": new_user}),
        (service, "GET", "/api/v1/applications", {}),
        (service, "POST", "/api/v1/calls", {"json": {}}),
    ]


def test_a_valid_token_passes_on_every_target(gateway: TestClient, service: TestClient) -> None:
    """The control: the same routes answer a correctly made token (the admin routes then validate)."""
    user_id = uuid.UUID(register(gateway)["id"])
    for app, method, path, extra in targets(gateway, service):
        token = signed(CONFIG, user_id, role="applicant") if path == "/api/v1/auth/me" else signed(CONFIG, user_id)
        response = app.request(method, path, headers={"Authorization": f"Bearer {token}"}, **extra)
        assert response.status_code in (200, 201, 422), (path, response.text)
    lower = signed(CONFIG, user_id, role="applicant")
    assert gateway.get("/api/v1/auth/me", headers={"Authorization": f"bearer {lower}"}).status_code == 200


@pytest.mark.parametrize("kind", list(FORGED))
def test_forged_and_stale_tokens_are_401_with_the_same_body(
    kind: str, gateway: TestClient, service: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = FORGED[kind](CONFIG, uuid.uuid4())
    bodies = set()
    for app, method, path, extra in targets(gateway, service):
        response = app.request(method, path, headers={"Authorization": f"Bearer {token}"}, **extra)
        problem = assert_problem(response, 401)
        bodies.add(json.dumps(problem, sort_keys=True))
        lowered = response.text.lower()
        assert [word for word in LEAKS if word in lowered] == [], (path, response.text)
        for part in token.split("."):
            assert len(part) < 8 or part not in response.text
    assert len(bodies) == 1, bodies  # the gateway and the service say the same, whatever failed
    assert bodies == {
        json.dumps(
            {
                "type": "about:blank",
                "title": "Unauthorized",
                "status": 401,
                "detail": "The token is missing, expired or invalid.",
            },
            sort_keys=True,
        )
    }
    if len(token) > 20:
        assert token not in caplog.text  # nor in a log line


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNzd29yZA==", "Token abc", "Bearer", "Bearer  ", "abc.def.ghi"])
def test_no_bearer_token_is_401(header: str, gateway: TestClient, service: TestClient) -> None:
    for app, method, path, extra in targets(gateway, service):
        assert_problem(app.request(method, path, headers={"Authorization": header}, **extra), 401)


def test_a_token_for_a_deleted_or_unknown_account_is_refused_by_the_gateway(gateway: TestClient) -> None:
    """A well-signed token for no account: the gateway's own account routes refuse it."""
    response = gateway.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {signed(CONFIG, uuid.uuid4())}"})
    assert_problem(response, 401)


def test_a_real_sign_in_token_carries_the_fixed_algorithm_and_claims(gateway: TestClient) -> None:
    email = unique_email()
    register(gateway, email)
    token = login(gateway, email)
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert header["alg"] == "EdDSA" and header["kid"] == _kid(CONFIG) and "jwk" not in header
    assert {"sub", "role", "iss", "aud", "iat", "exp", "jti"} <= set(claims)
    assert claims["exp"] - claims["iat"] <= 8 * 3600
    assert PASSWORD not in json.dumps(claims)
