"""Subject -> data model: the one place that says what each event carries."""

from __future__ import annotations

from collections.abc import Callable

from shared.events.envelope import EventData

EVENTS: dict[str, type[EventData]] = {}


def register(subject: str) -> Callable[[type[EventData]], type[EventData]]:
    def decorate(model: type[EventData]) -> type[EventData]:
        if subject in EVENTS:
            raise ValueError(f"event {subject} registered twice")
        EVENTS[subject] = model
        return model

    return decorate


def data_model_for(subject: str) -> type[EventData] | None:
    _load_catalogue()
    return EVENTS.get(subject)


def _load_catalogue() -> None:
    import shared.events.catalogue  # noqa: F401  (registers every event)
