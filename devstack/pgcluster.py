"""A PostgreSQL cluster of a run's own (`make chaos`, `make bench`), in a temporary folder, so
that it can be sized for the run and restarted (`pg_ctl stop -m immediate`, the crash-like stop,
then `start`) without touching the machine's server.

`initdb` refuses to run as root: as root the cluster belongs to the `postgres` OS user
(`runuser -u postgres --`) and lives in a folder of its own that the user owns.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy import create_engine, text

BIN_DIRS = ("/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin")


class PostgresUnavailable(RuntimeError):
    """No initdb/pg_ctl on this machine (or no way to run them)."""


def postgres_bin() -> Path:
    """The folder of initdb and pg_ctl: EDF_PG_BIN, then Debian's, then PATH."""
    candidates = [os.environ.get("EDF_PG_BIN", ""), *BIN_DIRS]
    for candidate in candidates:
        if candidate and (Path(candidate) / "initdb").exists() and (Path(candidate) / "pg_ctl").exists():
            return Path(candidate)
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).parent
    raise PostgresUnavailable("initdb/pg_ctl not found (set EDF_PG_BIN to PostgreSQL's bin folder)")


class PostgresCluster:
    def __init__(self, port: int, settings: Mapping[str, str], log: Path | None = None) -> None:
        """`settings`: the server's `-c` options (memory, connections, durability); `log`: where
        `destroy` keeps the server's log."""
        self.bin = postgres_bin()
        self.port = port
        self.settings = dict(settings)
        self.log = log
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            try:
                self.owner = pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresUnavailable("running as root and there is no `postgres` user for initdb") from None
        # Its own folder (not under the run's folder, which may not be reachable by `postgres`).
        self.root = Path(tempfile.mkdtemp(prefix="edf-pg-"))
        self.data = self.root / "data"
        if self.as_postgres:
            os.chown(self.root, self.owner.pw_uid, self.owner.pw_gid)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def database_url(self, name: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def _run(self, *argv: str, timeout: float = 120.0) -> None:
        command = [str(self.bin / argv[0]), *argv[1:]]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)  # noqa: S603
        if result.returncode != 0:
            raise RuntimeError(
                f"{argv[0]} {argv[1] if len(argv) > 1 else ''} failed: "
                f"{(result.stderr or result.stdout).strip()[-2000:]}"
            )

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")

    def _options(self) -> str:
        settings = {"listen_addresses": "127.0.0.1", **self.settings}
        return f"-p {self.port} -k {self.root} " + " ".join(f"-c {key}={value}" for key, value in settings.items())

    def start(self) -> None:
        log = self.root / "postgres.log"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(log), "-w", "-t", "60", "-o", self._options(), "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-w", "-t", "60", "-m", mode, "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def create_databases(self, names: list[str]) -> None:
        engine = create_engine(self.url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                for name in names:
                    connection.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            engine.dispose()

    def wait_accepting(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        engine = create_engine(self.url)
        try:
            while True:
                try:
                    with engine.connect() as connection:
                        connection.execute(text("SELECT 1"))
                    return
                except Exception:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
        finally:
            engine.dispose()

    def destroy(self) -> None:
        """Stops the server (if it runs) and deletes its folder, keeping its log beside the run's."""
        if self.running():
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                self.stop("immediate")
        server_log = self.root / "postgres.log"
        if self.log is not None and server_log.exists():
            shutil.copyfile(server_log, self.log)
        shutil.rmtree(self.root, ignore_errors=True)
