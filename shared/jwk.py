"""The tokens' keys: the gateway's private signing key (a PEM file) and the public keys every
process verifies with (a JWKS document, RFC 7517). A key's `kid` is its RFC 7638 thumbprint.

Ed25519 (`EdDSA`) is what `edf jwt keygen` and `make run` make; RSA keys of 2048+ bits
(`RS256`) are accepted too, for a fund whose key management only has those. The algorithm of
a key follows from its type, never from a token's header.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

PrivateKey = ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey
PublicKey = ed25519.Ed25519PublicKey | rsa.RSAPublicKey
EDDSA, RS256 = "EdDSA", "RS256"
MIN_RSA_BITS = 2048


class KeyFileError(ValueError):  # a ValueError: pydantic settings report it as a settings error
    """A key file or JWKS document that cannot be used."""


@dataclass(frozen=True)
class VerifyKey:
    kid: str
    algorithm: str
    key: PublicKey


@dataclass(frozen=True)
class SigningKey:
    kid: str
    algorithm: str
    key: PrivateKey

    def public(self) -> VerifyKey:
        return VerifyKey(self.kid, self.algorithm, self.key.public_key())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _int_b64(value: int) -> str:
    return _b64(value.to_bytes((value.bit_length() + 7) // 8 or 1, "big"))


def algorithm_of(key: PublicKey | PrivateKey) -> str:
    if isinstance(key, ed25519.Ed25519PublicKey | ed25519.Ed25519PrivateKey):
        return EDDSA
    if isinstance(key, rsa.RSAPublicKey | rsa.RSAPrivateKey):
        if key.key_size < MIN_RSA_BITS:
            raise KeyFileError(f"an RSA key of {key.key_size} bits is too short (at least {MIN_RSA_BITS})")
        return RS256
    raise KeyFileError("a token key must be Ed25519 or RSA")


def _members(key: PublicKey) -> dict[str, str]:
    """The JWK members that RFC 7638 hashes (the key itself, nothing else)."""
    if isinstance(key, ed25519.Ed25519PublicKey):
        raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return {"crv": "Ed25519", "kty": "OKP", "x": _b64(raw)}
    numbers = key.public_numbers()
    return {"e": _int_b64(numbers.e), "kty": "RSA", "n": _int_b64(numbers.n)}


def thumbprint(members: Mapping[str, str]) -> str:
    """RFC 7638: SHA-256 of the required members, sorted, without whitespace; base64url."""
    required = ("crv", "kty", "x") if members["kty"] == "OKP" else ("e", "kty", "n")
    canonical = json.dumps({name: members[name] for name in required}, separators=(",", ":"), sort_keys=True)
    return _b64(hashlib.sha256(canonical.encode()).digest())


def public_jwk(key: PublicKey) -> dict[str, str]:
    members = _members(key)
    return {**members, "kid": thumbprint(members), "use": "sig", "alg": algorithm_of(key)}


def jwks_document(keys: Iterable[PublicKey]) -> dict[str, list[dict[str, str]]]:
    return {"keys": [public_jwk(key) for key in keys]}


def key_from_jwk(jwk: Mapping[str, Any]) -> VerifyKey:
    """A public key of a JWKS; its `alg` and `use` (when present) and `kid` must agree with it."""
    try:
        kty = jwk["kty"]
        if kty == "OKP" and jwk.get("crv") == "Ed25519":
            key: PublicKey = ed25519.Ed25519PublicKey.from_public_bytes(_unb64(jwk["x"]))
        elif kty == "RSA":
            e, n = (int.from_bytes(_unb64(jwk[name]), "big") for name in ("e", "n"))
            key = rsa.RSAPublicNumbers(e, n).public_key()
        else:
            raise KeyFileError(f"a key of type {kty!r} (crv {jwk.get('crv')!r}): only Ed25519 (OKP) and RSA")
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, KeyFileError):
            raise
        raise KeyFileError(f"a JWK that is not a valid public key ({type(exc).__name__})") from exc
    algorithm, kid = algorithm_of(key), thumbprint(_members(key))
    if "d" in jwk or "p" in jwk:
        raise KeyFileError(f"the JWK {kid} holds a private key: a JWKS has public keys only")
    if jwk.get("kid", kid) != kid:
        raise KeyFileError(f"the JWK kid {jwk['kid']!r} is not its RFC 7638 thumbprint {kid!r}")
    if jwk.get("alg", algorithm) != algorithm or jwk.get("use", "sig") != "sig":
        raise KeyFileError(f"the JWK {kid} is not a signing key for {algorithm}")
    return VerifyKey(kid, algorithm, key)


def parse_jwks(document: Mapping[str, Any]) -> dict[str, VerifyKey]:
    keys = document.get("keys")
    if not isinstance(keys, list) or not keys:
        raise KeyFileError("a JWKS document has a non-empty list `keys`")
    found = [key_from_jwk(jwk) for jwk in keys]
    return {key.kid: key for key in found}


def load_jwks(path: Path) -> dict[str, VerifyKey]:
    try:
        document = json.loads(path.read_text())
    except OSError as exc:
        raise KeyFileError(f"cannot read the JWKS file {path}: {exc.strerror}") from exc
    except ValueError as exc:
        raise KeyFileError(f"the JWKS file {path} is not JSON") from exc
    if not isinstance(document, dict):
        raise KeyFileError(f"the JWKS file {path} is not a JWKS document")
    return parse_jwks(document)


def load_public_pem(data: bytes) -> PublicKey:
    """The public key of a PEM file holding a public or a private key."""
    if b"PRIVATE KEY" in data:
        return load_signing_pem(data).key.public_key()
    key = serialization.load_pem_public_key(data)
    if not isinstance(key, ed25519.Ed25519PublicKey | rsa.RSAPublicKey):
        raise KeyFileError("a token key must be Ed25519 or RSA")
    algorithm_of(key)
    return key


def load_signing_pem(data: bytes) -> SigningKey:
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise KeyFileError("not an unencrypted PEM private key") from exc
    if not isinstance(key, ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey):
        raise KeyFileError("a token key must be Ed25519 or RSA")
    algorithm = algorithm_of(key)
    return SigningKey(thumbprint(_members(key.public_key())), algorithm, key)


def load_signing_key(path: Path) -> SigningKey:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise KeyFileError(f"cannot read the signing key {path}: {exc.strerror}") from exc
    try:
        return load_signing_pem(data)
    except KeyFileError as exc:
        raise KeyFileError(f"the signing key {path}: {exc}") from None


def private_pem(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def generate_signing_key() -> SigningKey:
    return load_signing_pem(private_pem(ed25519.Ed25519PrivateKey.generate()))


def write_private_key(path: Path, key: SigningKey) -> None:
    """A new file readable by its owner only (0600); an existing file is never overwritten."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(private_pem(key.key))


def write_jwks(path: Path, keys: Iterable[PublicKey]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(jwks_document(keys), indent=2) + "\n")
    tmp.replace(path)
