"""`wait_migrated.py <app> [--timeout SECONDS]`: waits until the app's database
(`<APP>_DATABASE_URL`) is at the head of its alembic history; exits 1 at the timeout.

Kubernetes runs it as each Deployment's init container, so that a new pod starts only once its
migration Job has run (`edf-entrypoint wait-migrated <app>`).
"""

from __future__ import annotations

import argparse
import sys
import time

from shared.db import make_engine
from shared.migrate import APPS, current_revisions, head_revisions, settings_of


def at_head(app: str) -> bool:
    url: str = settings_of(app).database_url  # type: ignore[attr-defined]
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return current_revisions(connection) == head_revisions(app)
    finally:
        engine.dispose()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="wait_migrated.py")
    parser.add_argument("app", choices=sorted(APPS))
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args(argv)
    deadline = time.monotonic() + args.timeout
    while True:
        try:
            if at_head(args.app):
                print(f"{args.app}: schema at head", flush=True)
                return 0
            reason = "schema behind head (its migration job has not run yet)"
        except Exception as exc:  # noqa: BLE001  (database not reachable yet: keep waiting)
            reason = f"{type(exc).__name__}: {exc}"[:300]
        if time.monotonic() > deadline:
            print(f"{args.app}: gave up after {args.timeout:.0f}s: {reason}", file=sys.stderr, flush=True)
            return 1
        print(f"{args.app}: waiting: {reason}", flush=True)
        time.sleep(3)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
