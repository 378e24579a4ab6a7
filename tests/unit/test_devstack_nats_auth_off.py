"""`EDF_DEV_NATS_AUTH=off`, the bench's knob: the local NATS is started with no authorization, the
apps get no NATS user, no connection files are left, and the default stays on."""

from __future__ import annotations

from pathlib import Path

import pytest

from devstack.natscluster import nodes_on, write_configs
from devstack.stack import StackError, build_children, common_environment, load_config, summary


def _children(tmp_path: Path, **env: str) -> tuple[dict[str, list[str]], dict[str, dict[str, str]]]:
    base = {"EDF_VAR_DIR": str(tmp_path), "EDF_NATS_PORT": "14999", **env}
    config = load_config(base)
    children = build_children(config, common_environment(config, base))
    return {c.name: c.argv for c in children}, {c.name: c.env for c in children}


def test_by_default_the_local_nats_has_its_users(tmp_path: Path) -> None:
    argv, env = _children(tmp_path)
    assert "-c" in argv["nats"] and (tmp_path / "nats" / "auth.conf").is_file()
    assert env["scoring"]["EDF_NATS_USER"] == "scoring" and env["gateway"]["EDF_NATS_USER"] == "gateway"
    assert (tmp_path / "nats" / "ops.json").is_file()


def test_off_starts_nats_without_authorization_and_the_apps_without_a_user(tmp_path: Path) -> None:
    _children(tmp_path)  # an earlier run with the users: its connection files are there
    argv, env = _children(tmp_path, EDF_DEV_NATS_AUTH="off", EDF_NATS_USER="someone")
    assert "-c" not in argv["nats"] and "-js" in argv["nats"]
    for app in ("gateway", "applications", "scoring", "disbursement", "monitoring"):
        assert "EDF_NATS_USER" not in env[app] and "EDF_NATS_PASSWORD" not in env[app], app
    assert not any(name.startswith("EDF_NATS_") and name.endswith("_PASSWORD") for name in env["nats"])
    assert sorted(p.name for p in (tmp_path / "nats").glob("*.json")) == ["passwords.json"]  # kept for "on"
    config = load_config({"EDF_VAR_DIR": str(tmp_path), "EDF_NATS_PORT": "14999", "EDF_DEV_NATS_AUTH": "off"})
    assert config.nats_url == "nats://127.0.0.1:14999" and config.nats_auth_dir is None
    assert "EDF_DEV_NATS_AUTH=off" in summary(config, {"EDF_BOOTSTRAP_ADMIN_EMAIL": "a@b.c"}, 1.0)


def test_a_cluster_off_has_no_include_and_a_wrong_value_is_refused(tmp_path: Path) -> None:
    nodes = nodes_on(list(range(20001, 20010)))
    assert 'include "auth.conf"' in write_configs(nodes, tmp_path / "on")["nats-1"].read_text()
    assert "include" not in write_configs(nodes, tmp_path / "off", auth=False)["nats-1"].read_text()
    with pytest.raises(StackError, match="EDF_DEV_NATS_AUTH"):
        load_config({"EDF_VAR_DIR": str(tmp_path), "EDF_DEV_NATS_AUTH": "maybe"})
