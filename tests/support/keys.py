"""The tests' token key pair, in one place: an Ed25519 key made once per test session, its
private key file (0600) and a JWKS of its public key in a temporary folder.

`install()` (tests/conftest.py, before any settings are read) puts both files in the
environment, as `make run` does for the gateway: every in-process app, every app process a
test starts and the local stacks the end-to-end tests run read them. `signing_config()` is what
tests mint tokens with, as the gateway would."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from functools import cache
from pathlib import Path

from shared.auth import TokenConfig
from shared.jwk import SigningKey, generate_signing_key, write_jwks, write_private_key

PRIVATE, PUBLIC = "EDF_JWT_PRIVATE_KEY_FILE", "EDF_JWT_PUBLIC_KEYS_FILE"


@cache
def session_key() -> tuple[SigningKey, Path, Path]:
    """The session's key, its private key file and its JWKS file."""
    folder = Path(tempfile.mkdtemp(prefix="edf-test-keys-"))
    atexit.register(shutil.rmtree, folder, True)
    key = generate_signing_key()
    write_private_key(folder / "signing.pem", key)
    write_jwks(folder / "jwks.json", [key.key.public_key()])
    return key, folder / "signing.pem", folder / "jwks.json"


def install() -> None:
    _, private, public = session_key()
    os.environ[PRIVATE], os.environ[PUBLIC] = str(private), str(public)


def signing_config() -> TokenConfig:
    from shared.app import token_config
    from shared.settings import CommonSettings

    _, private, _ = session_key()
    return token_config(CommonSettings(), private)
