"""Which stack `make demo` drives and as whom: the gateway's address, make run's NATS and var
directory, and the bootstrap admin's password read where make run writes it (never shown)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from demo.client import PER_ADDRESS, DemoError, Gateway
from demo.progress import Stages
from demo.target import StartedStack, target_from


def test_the_gateway_comes_from_the_url_the_port_or_the_default(tmp_path: Path) -> None:
    env = {"EDF_VAR_DIR": str(tmp_path)}
    assert target_from(env).gateway == "http://127.0.0.1:8000"
    assert target_from({**env, "EDF_GATEWAY_PORT": "18000"}).gateway == "http://127.0.0.1:18000"
    assert target_from({**env, "EDF_GATEWAY_URL": "http://127.0.0.1:9000/"}).gateway == "http://127.0.0.1:9000"
    assert target_from(env, gateway="http://localhost:1234").gateway == "http://localhost:1234"


def test_nats_and_var_dir_are_make_runs(tmp_path: Path) -> None:
    target = target_from({"EDF_VAR_DIR": str(tmp_path), "EDF_NATS_PORT": "15222"})
    assert (target.nats_url, target.var_dir) == ("nats://127.0.0.1:15222", tmp_path.resolve())
    assert (
        target_from({"EDF_VAR_DIR": str(tmp_path), "EDF_NATS_URL": "nats://10.0.0.1:4222"}).nats_url
        == "nats://10.0.0.1:4222"
    )
    assert target_from({"EDF_VAR_DIR": str(tmp_path)}, nats_url="nats://127.0.0.1:1").nats_url == "nats://127.0.0.1:1"


def test_the_admin_password_is_read_where_make_run_writes_it_and_never_shown(tmp_path: Path) -> None:
    target = target_from({"EDF_VAR_DIR": str(tmp_path)})
    assert target.admin_email == "admin@edf.local"
    with pytest.raises(DemoError, match="make run"):
        target.admin_password()
    (tmp_path / "admin-password").write_text("s3cret generated password\n")
    assert target.admin_password() == "s3cret generated password"
    assert "s3cret" not in target.admin_password_where() and "admin-password" in target.admin_password_where()
    given = target_from(
        {
            "EDF_VAR_DIR": str(tmp_path),
            "EDF_BOOTSTRAP_ADMIN_PASSWORD": "from the env 123",
            "EDF_BOOTSTRAP_ADMIN_EMAIL": "boss@fund.example",
        }
    )
    assert (given.admin_email, given.admin_password()) == ("boss@fund.example", "from the env 123")
    assert "from the env 123" not in given.admin_password_where()


def test_only_a_stack_on_this_machine_is_started(tmp_path: Path) -> None:
    with pytest.raises(DemoError, match="not this machine"):
        StartedStack(target_from({"EDF_VAR_DIR": str(tmp_path)}, gateway="http://192.0.2.1:8000"))
    started = StartedStack(target_from({"EDF_VAR_DIR": str(tmp_path)}, gateway="http://127.0.0.1:18123"))
    assert started.env["EDF_GATEWAY_PORT"] == "18123"


def test_each_stage_has_a_bar_and_a_time() -> None:
    shown = io.StringIO()
    with Stages(Console(file=shown, width=100)) as stages:
        bar = stages.start("First", 3)
        bar.advance(3)
        stages.start("Second", 2).update(1)
    assert set(stages.seconds) == {"First", "Second"}
    assert "First" in shown.getvalue() and "Second (partly)" in shown.getvalue()


async def test_applicants_connect_in_small_groups_each_from_its_own_loopback_address() -> None:
    local = Gateway("http://127.0.0.1:18000", concurrency=4)
    remote = Gateway("http://192.0.2.1:8000", concurrency=4)  # never contacted
    try:
        if not local.spread:
            pytest.skip("this machine cannot bind 127.1.0.1 (only 127.0.0.1 on its loopback)")
        first, same, other = (local.via(n) for n in (0, PER_ADDRESS - 1, PER_ADDRESS))
        assert first is same and first is not other and first is not local.client
        assert local.via(None) is local.client
        assert len({id(local.via(n)) for n in range(PER_ADDRESS * 300)}) == 300
        assert not remote.spread and remote.via(5) is remote.client
    finally:
        await local.close()
        await remote.close()
