"""`python -m devstack.revision <app> "message"`: autogenerate a migration for one app."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command

from shared.migrate import alembic_config


def main(argv: list[str]) -> int:
    app, message = argv[0], argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'autogen.db'}"
        config = alembic_config(app, url)
        command.upgrade(config, "head")
        command.revision(config, message=message, autogenerate=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
