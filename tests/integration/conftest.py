from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.natsd import NatsServer


@pytest.fixture
def own_nats(tmp_path: Path) -> Iterator[NatsServer]:
    """A JetStream server of this test's own (its streams and consumers start empty)."""
    server = NatsServer(tmp_path / "nats")
    server.start()
    try:
        yield server
    finally:
        server.stop()
