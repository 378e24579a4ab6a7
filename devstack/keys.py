"""The local stack's token keys: an Ed25519 key pair made on the first start into
`var/jwt/` (the private key mode 0600), then reused. The gateway gets the private key's file,
every app the JWKS of its public key; the services never get the private key.

A caller that sets both `EDF_JWT_PRIVATE_KEY_FILE` and `EDF_JWT_PUBLIC_KEYS_FILE` (the
tests' key pair) keeps them."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from shared.jwk import generate_signing_key, load_signing_key, write_jwks, write_private_key

PRIVATE, PUBLIC = "EDF_JWT_PRIVATE_KEY_FILE", "EDF_JWT_PUBLIC_KEYS_FILE"
GATEWAY_ONLY = (PRIVATE,)


def key_files(var_dir: Path, env: Mapping[str, str]) -> dict[str, str]:
    """`EDF_JWT_PRIVATE_KEY_FILE` and `EDF_JWT_PUBLIC_KEYS_FILE`, made when missing."""
    given = {name: env[name] for name in (PRIVATE, PUBLIC) if env.get(name)}
    if len(given) == 2:
        return given
    if given:
        raise ValueError(f"set both {PRIVATE} and {PUBLIC}, or neither (then `make run` makes a key pair)")
    folder = var_dir / "jwt"
    private, public = folder / "signing.pem", folder / "jwks.json"
    if not private.exists():
        key = generate_signing_key()
        write_private_key(private, key)
        write_jwks(public, [key.key.public_key()])
    elif not public.exists():
        write_jwks(public, [load_signing_key(private).key.public_key()])
    return {PRIVATE: str(private), PUBLIC: str(public)}
