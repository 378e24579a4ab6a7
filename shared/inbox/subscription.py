"""What a consumer subscribes to: an event class and the handler that applies it.

`Subscription(ApplicationSubmittedV1, application_submitted)` takes the subject from the class,
and mypy checks that the handler accepts that class: a handler of another event is a type error.
Keep a service's subscriptions in a tuple without an annotation (`SUBSCRIPTIONS = (...)`): an
annotation such as `list[Subscription[Any]]` would give each row `Any` and switch the check off.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from shared.events.envelope import CloudEvent, EventData
from shared.uow import UnitOfWork

E = TypeVar("E", bound=EventData)
Handler = Callable[[UnitOfWork, CloudEvent, E], None]


class UnprocessableEvent(Exception):
    """The event can never be applied (e.g. it contradicts this service's state)."""


class NotYetApplicable(Exception):
    """The event depends on one not applied here yet (replicas may take a stream out of
    order): it is retried with backoff, and dead-lettered only after `max_deliver` tries."""


@dataclass(frozen=True)
class Subscription(Generic[E]):
    event: type[E]
    handler: Handler[E]

    @property
    def subject(self) -> str:
        return self.event.subject
