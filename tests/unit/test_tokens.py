"""Tokens: signed with the gateway's private key, verified with the JWKS's public keys by `kid`;
rotation (a kid is accepted while it is in the set); everything else refused."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from shared.app import token_config
from shared.auth import Role, TokenConfig, issue_token, verify_token
from shared.errors import Unauthorized
from shared.jwk import (
    KeyFileError,
    SigningKey,
    generate_signing_key,
    jwks_document,
    load_jwks,
    load_signing_pem,
    parse_jwks,
    private_pem,
    public_jwk,
    thumbprint,
    write_jwks,
    write_private_key,
)
from shared.settings import CommonSettings

OLD, NEW = generate_signing_key(), generate_signing_key()


def config(signing: SigningKey | None, *known: SigningKey) -> TokenConfig:
    keys = {key.kid: key.public() for key in known}
    return TokenConfig(keys=keys, issuer="edf-grants", audience="edf-api", signing=signing)


def claims(**overrides: object) -> dict[str, object]:
    now = datetime.now(UTC)
    base: dict[str, object] = {
        "sub": str(uuid.uuid4()),
        "role": "admin",
        "iss": "edf-grants",
        "aud": "edf-api",
        "iat": now,
        "exp": now + timedelta(minutes=5),
    }
    base.update(overrides)
    return base


def signed(key: SigningKey, **overrides: object) -> str:
    return jwt.encode(claims(**overrides), key.key, algorithm=key.algorithm, headers={"kid": key.kid})


def test_a_token_we_issued_verifies_with_the_public_key_only() -> None:
    user = uuid.uuid4()
    token = issue_token(config(OLD, OLD), user, "a@example.org", Role.officer)
    service = config(None, OLD)  # what a service holds: no signing key
    principal = verify_token(service, token)
    assert principal.id == user and principal.role is Role.officer
    assert jwt.get_unverified_header(token) == {"alg": "EdDSA", "kid": OLD.kid, "typ": "JWT"}


def test_a_service_cannot_issue_tokens() -> None:
    with pytest.raises(RuntimeError, match="only the gateway"):
        issue_token(config(None, OLD), uuid.uuid4(), "a@b.c", Role.admin)


def test_rotation_the_old_kid_verifies_while_it_is_in_the_set() -> None:
    old_token = issue_token(config(OLD, OLD), uuid.uuid4(), "a@b.c", Role.admin)
    # 1. the new public key is added to the set; 2. the gateway switches to the new key.
    during = config(NEW, OLD, NEW)
    new_token = issue_token(during, uuid.uuid4(), "a@b.c", Role.admin)
    assert jwt.get_unverified_header(new_token)["kid"] == NEW.kid
    assert verify_token(during, old_token).role is Role.admin
    assert verify_token(during, new_token).role is Role.admin
    # 3. after the longest token lifetime, the old key is removed: its tokens are refused.
    after = config(NEW, NEW)
    assert verify_token(after, new_token).role is Role.admin
    with pytest.raises(Unauthorized):
        verify_token(after, old_token)


def _unsigned(header: dict[str, object], payload: dict[str, object]) -> str:
    def part(obj: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj, default=str).encode()).decode().rstrip("=")

    return f"{part(header)}.{part(payload)}."


RSA_KEY = load_signing_pem(private_pem(rsa.generate_private_key(public_exponent=65537, key_size=2048)))
BAD_TOKENS = {
    "expired": lambda: signed(OLD, exp=datetime.now(UTC) - timedelta(seconds=1)),
    "wrong audience": lambda: signed(OLD, aud="someone-else"),
    "wrong issuer": lambda: signed(OLD, iss="evil"),
    "no exp": lambda: jwt.encode({k: v for k, v in claims().items() if k != "exp"}, OLD.key, "EdDSA", {"kid": OLD.kid}),
    "no iss": lambda: jwt.encode({k: v for k, v in claims().items() if k != "iss"}, OLD.key, "EdDSA", {"kid": OLD.kid}),
    "no aud": lambda: jwt.encode({k: v for k, v in claims().items() if k != "aud"}, OLD.key, "EdDSA", {"kid": OLD.kid}),
    "no kid": lambda: jwt.encode(claims(), OLD.key, "EdDSA"),
    "unknown kid": lambda: signed(NEW),
    "unknown key under a known kid": lambda: jwt.encode(claims(), NEW.key, "EdDSA", {"kid": OLD.kid}),
    "HS256 with a secret": lambda: jwt.encode(claims(), "s" * 40, "HS256", {"kid": OLD.kid}),
    "HS256 with the public JWK's x": lambda: jwt.encode(
        claims(), public_jwk(OLD.key.public_key())["x"], "HS256", {"kid": OLD.kid}
    ),
    "alg none": lambda: _unsigned({"alg": "none", "kid": OLD.kid}, {**claims(), "iat": 0, "exp": 4102444800}),
    "RS256 by a key not in the set, our kid": lambda: jwt.encode(claims(), RSA_KEY.key, "RS256", {"kid": OLD.kid}),
    "unknown role": lambda: signed(OLD, role="root"),
    "tampered": lambda: issue_token(config(OLD, OLD), uuid.uuid4(), "a@b.c", Role.applicant)[:-3] + "abc",
    "garbage": lambda: "not.a.token",
}


@pytest.mark.parametrize("kind", sorted(BAD_TOKENS))
def test_bad_tokens_are_refused(kind: str) -> None:
    with pytest.raises(Unauthorized):
        verify_token(config(None, OLD), BAD_TOKENS[kind]())


def test_an_rsa_key_signs_rs256_and_its_alg_is_fixed_by_the_key() -> None:
    token = issue_token(config(RSA_KEY, RSA_KEY), uuid.uuid4(), "a@b.c", Role.admin)
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    assert verify_token(config(None, RSA_KEY), token).role is Role.admin
    ps256 = jwt.encode(claims(), RSA_KEY.key, "PS256", {"kid": RSA_KEY.kid})  # same key, another algorithm
    with pytest.raises(Unauthorized):
        verify_token(config(None, RSA_KEY), ps256)


def test_the_kid_is_the_rfc_7638_thumbprint() -> None:
    """RFC 8037 appendix A.3: the thumbprint of its Ed25519 example key."""
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
    assert thumbprint(jwk) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
    assert parse_jwks({"keys": [jwk]}).keys() == {"kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"}


def test_the_jwks_document_shape() -> None:
    """RFC 7517/8037: an OKP key on Ed25519, its x, kid, use sig, alg EdDSA; no private member."""
    document = jwks_document([OLD.key.public_key(), RSA_KEY.key.public_key()])
    okp, rsa_jwk = document["keys"]
    assert set(okp) == {"kty", "crv", "x", "kid", "use", "alg"}
    assert (okp["kty"], okp["crv"], okp["use"], okp["alg"], okp["kid"]) == ("OKP", "Ed25519", "sig", "EdDSA", OLD.kid)
    assert len(base64.urlsafe_b64decode(okp["x"] + "=")) == 32
    assert set(rsa_jwk) == {"kty", "n", "e", "kid", "use", "alg"} and rsa_jwk["alg"] == "RS256"
    assert parse_jwks(document).keys() == {OLD.kid, RSA_KEY.kid}


BAD_JWKS: dict[str, dict[str, Any]] = {
    "no keys": {"keys": []},
    "a kid that is not the thumbprint": {"keys": [{**public_jwk(OLD.key.public_key()), "kid": "mine"}]},
    "a private key": {
        "keys": [{**public_jwk(OLD.key.public_key()), "d": "c2VjcmV0"}],
    },
    "an HMAC key": {"keys": [{"kty": "oct", "k": "c2VjcmV0"}]},
    "alg not the key's": {"keys": [{**public_jwk(OLD.key.public_key()), "alg": "HS256"}]},
    "an encryption key": {"keys": [{**public_jwk(OLD.key.public_key()), "use": "enc"}]},
    "a short RSA key": {"keys": [{"kty": "RSA", "n": public_jwk(RSA_KEY.key.public_key())["n"][:170], "e": "AQAB"}]},
    "an X25519 key": {"keys": [{"kty": "OKP", "crv": "X25519", "x": public_jwk(OLD.key.public_key())["x"]}]},
}


@pytest.mark.parametrize("kind", sorted(BAD_JWKS))
def test_a_jwks_that_cannot_be_trusted_is_refused(kind: str) -> None:
    with pytest.raises(KeyFileError):
        parse_jwks(BAD_JWKS[kind])


def test_key_files_the_private_key_is_0600_and_the_gateway_key_must_be_in_the_set(tmp_path: Path) -> None:
    write_private_key(tmp_path / "old.pem", OLD)
    write_private_key(tmp_path / "new.pem", NEW)
    assert (tmp_path / "old.pem").stat().st_mode & 0o777 == 0o600
    with pytest.raises(FileExistsError):
        write_private_key(tmp_path / "old.pem", NEW)  # never overwritten
    write_jwks(tmp_path / "jwks.json", [OLD.key.public_key()])
    assert load_jwks(tmp_path / "jwks.json").keys() == {OLD.kid}
    settings = CommonSettings(jwt_public_keys_file=tmp_path / "jwks.json")
    signing = token_config(settings, tmp_path / "old.pem").signing
    assert signing is not None and signing.kid == OLD.kid
    with pytest.raises(ValueError, match="not in EDF_JWT_PUBLIC_KEYS_FILE"):
        token_config(settings, tmp_path / "new.pem")
    with pytest.raises(ValueError, match="EDF_JWT_PUBLIC_KEYS_FILE is not set"):
        token_config(CommonSettings(jwt_public_keys_file=None))
