"""The PostgreSQL server of a bench run: EDF_BENCH_POSTGRES_URL when given, else a temporary
cluster the bench makes (`devstack.pgcluster`: initdb and pg_ctl, as the `postgres` OS user when
run as root) on a free port, stopped and deleted at the end."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from devstack.pgcluster import PostgresCluster
from devstack.ports import free_port

# Durability settings stay at PostgreSQL's defaults (fsync, synchronous_commit, full_page_writes):
# the figures are those of a real server. Only memory and connections are sized for the bench.
SETTINGS = {
    "shared_buffers": "512MB",
    "max_connections": "300",
    "work_mem": "16MB",
    "maintenance_work_mem": "256MB",
}


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
    cluster = PostgresCluster(free_port(), SETTINGS)
    try:
        cluster.init()
        cluster.start()
        cluster.wait_accepting()
        yield cluster.url
    finally:
        cluster.destroy()
