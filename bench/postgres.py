"""The PostgreSQL server of a bench run: EDF_BENCH_POSTGRES_URL when given, else a temporary
cluster the bench makes (initdb, pg_ctl) in a temporary directory on a free port, stopped and
deleted at the end. initdb refuses to run as root: as root, the cluster belongs to the
`postgres` OS user (`runuser -u postgres --`)."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from tests.support.natsd import free_port

# Durability settings stay at PostgreSQL's defaults (fsync, synchronous_commit, full_page_writes):
# the figures are those of a real server. Only memory and connections are sized for the bench.
SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "shared_buffers": "512MB",
    "max_connections": "300",
    "work_mem": "16MB",
    "maintenance_work_mem": "256MB",
}


def binaries() -> Path:
    """The newest PostgreSQL server binaries of Debian's layout, or those on PATH."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    if initdb is None:
        raise RuntimeError("no PostgreSQL server binaries (initdb): install postgresql, or set EDF_BENCH_POSTGRES_URL")
    return Path(initdb).parent


def _as_owner(argv: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


@contextmanager
def server() -> Iterator[tuple[str, str]]:
    """(SQLAlchemy URL of the server's `postgres` database, what it is) for the whole bench."""
    given = os.environ.get("EDF_BENCH_POSTGRES_URL", "").strip()
    if given:
        yield given, "the server of EDF_BENCH_POSTGRES_URL"
        return
    with temporary_cluster() as url:
        yield url, "a temporary cluster the bench started (initdb, default durability settings)"


@contextmanager
def temporary_cluster() -> Iterator[str]:
    bin_dir = binaries()
    root = Path(tempfile.mkdtemp(prefix="edf-bench-pg-"))
    data, socket_dir, log = root / "data", root / "run", root / "server.log"
    socket_dir.mkdir()
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        for path in (root, socket_dir):
            os.chown(path, owner.pw_uid, owner.pw_gid)
    port = free_port()
    options = " ".join(f"-c {k}={v}" for k, v in {**SETTINGS, "port": str(port),
                                                 "unix_socket_directories": str(socket_dir)}.items())
    try:
        subprocess.run(_as_owner([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                                  "-E", "UTF8", "--no-instructions"]), check=True, capture_output=True)
        subprocess.run(_as_owner([str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options,
                                  "-w", "-t", "60", "start"]), check=True, capture_output=True)
        url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
        _wait_accepting(url)
        yield url
    except subprocess.CalledProcessError as exc:
        detail = (exc.stderr or b"").decode(errors="replace")[-2000:]
        server_log = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        raise RuntimeError(f"the temporary PostgreSQL failed: {exc.cmd[0:6]}\n{detail}\n{server_log}") from exc
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(_as_owner([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
                           capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def _wait_accepting(url: str, timeout: float = 30.0) -> None:
    engine = create_engine(url)
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                with engine.connect() as connection:
                    connection.execute(text("SELECT 1"))
                return
            except OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
    finally:
        engine.dispose()
