"""mypy checks that a handler gets the event class it subscribed to: a subscription pairing an
event with another event's handler is a type error, the right pairing is not."""

from __future__ import annotations

from pathlib import Path

import pytest
from mypy import api

pytestmark = pytest.mark.slow  # mypy follows the imports of shared (its cache makes later runs quick)

REPO = Path(__file__).resolve().parents[2]
PREAMBLE = """
from shared.events.applications import ApplicationScreenedV1, ApplicationSubmittedV1
from shared.events.envelope import EventData, IncomingCloudEvent
from shared.inbox import Subscription
from shared.uow import UnitOfWork


def submitted(uow: UnitOfWork, event: IncomingCloudEvent, data: ApplicationSubmittedV1) -> None: ...
def screened(uow: UnitOfWork, event: IncomingCloudEvent, data: ApplicationScreenedV1) -> None: ...
def any_event(uow: UnitOfWork, event: IncomingCloudEvent, data: EventData) -> None: ...
"""
RIGHT = """
SUBSCRIPTIONS = (Subscription(ApplicationSubmittedV1, submitted), Subscription(ApplicationScreenedV1, any_event))
"""
WRONG = "SUBSCRIPTIONS = (Subscription(ApplicationSubmittedV1, screened),)\n"


def mypy_errors(tmp_path: Path, name: str, code: str) -> list[str]:
    snippet = tmp_path / f"{name}.py"
    snippet.write_text(PREAMBLE + code, encoding="utf-8")
    stdout, _, _ = api.run(
        [
            "--config-file",
            str(REPO / "pyproject.toml"),
            "--cache-dir",
            str(REPO / "var" / "mypy-snippets"),
            "--follow-imports",
            "silent",
            str(snippet),
        ]
    )
    return [line for line in stdout.splitlines() if ": error:" in line]


def test_a_handler_of_another_event_is_a_type_error(tmp_path: Path) -> None:
    errors = mypy_errors(tmp_path, "wrong", WRONG)
    assert len(errors) == 1 and "[arg-type]" in errors[0] and "ApplicationScreenedV1" in errors[0], errors


def test_a_handler_of_its_event_or_of_any_event_type_checks(tmp_path: Path) -> None:
    assert mypy_errors(tmp_path, "right", RIGHT) == []
