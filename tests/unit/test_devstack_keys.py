"""`make run`'s token keys: made once into var/jwt (the private key 0600), reused, given to the
gateway only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devstack import keys
from devstack.stack import build_children, common_environment, load_config
from shared.jwk import load_jwks, load_signing_key


def test_the_key_pair_is_made_once_and_reused(tmp_path: Path) -> None:
    files = keys.key_files(tmp_path, {})
    private, public = Path(files[keys.PRIVATE]), Path(files[keys.PUBLIC])
    assert private.stat().st_mode & 0o777 == 0o600
    kid = load_signing_key(private).kid
    assert load_jwks(public).keys() == {kid}
    assert "PRIVATE" not in public.read_text() and "d" not in json.loads(public.read_text())["keys"][0]
    assert keys.key_files(tmp_path, {}) == files and load_signing_key(private).kid == kid
    public.unlink()  # a lost JWKS is made again from the private key
    assert load_jwks(Path(keys.key_files(tmp_path, {})[keys.PUBLIC])).keys() == {kid}


def test_keys_the_caller_gives_are_kept_and_half_a_pair_is_refused(tmp_path: Path) -> None:
    given = {keys.PRIVATE: "/elsewhere/key.pem", keys.PUBLIC: "/elsewhere/jwks.json"}
    assert keys.key_files(tmp_path, given) == given
    with pytest.raises(ValueError, match="set both"):
        keys.key_files(tmp_path, {keys.PUBLIC: "/elsewhere/jwks.json"})
    assert not (tmp_path / "jwt").exists()


def test_only_the_gateway_process_gets_the_private_key(tmp_path: Path) -> None:
    base = {"EDF_VAR_DIR": str(tmp_path), "EDF_NATS_URL": "nats://127.0.0.1:1"}
    config = load_config(base)
    env = common_environment(config, base)
    assert env[keys.PRIVATE] == str(tmp_path / "jwt" / "signing.pem")
    children = {child.name: child for child in build_children(config, env)}
    assert children["gateway"].env[keys.PRIVATE] == env[keys.PRIVATE]
    for name in ("applications", "scoring", "disbursement", "monitoring"):
        assert keys.PRIVATE not in children[name].env, name
        assert "EDF_BOOTSTRAP_ADMIN_PASSWORD" not in children[name].env, name
        assert children[name].env[keys.PUBLIC] == env[keys.PUBLIC], name
