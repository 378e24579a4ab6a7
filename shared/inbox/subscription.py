"""What a consumer subscribes to: an event class and the handler that applies it.

`Subscription(ApplicationSubmittedV1, application_submitted)` takes the subject from the class,
and mypy checks that the handler accepts that class: a handler of another event is a type error.
Keep a service's subscriptions in a tuple without an annotation (`SUBSCRIPTIONS = (...)`): an
annotation such as `list[Subscription[Any]]` would give each row `Any` and switch the check off.

A subscription may also answer the events it can never apply (`reject`): the consumer calls it
in the transaction that keeps the dead letter, once per event (`source` + `id`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from shared.events.envelope import EventData, IncomingCloudEvent
from shared.uow import UnitOfWork

E = TypeVar("E", bound=EventData)
Handler = Callable[[UnitOfWork, IncomingCloudEvent, E], None]


class UnprocessableEvent(Exception):
    """The event can never be applied (e.g. it contradicts this service's state); `reason` is a
    stable code a `reject` hook may pass on."""

    def __init__(self, message: str, reason: str = "unprocessable") -> None:
        super().__init__(message)
        self.reason = reason


class NotYetApplicable(Exception):
    """The event depends on one not applied here yet (replicas may take a stream out of
    order): it is retried with backoff, and dead-lettered only after `max_deliver` tries."""


@dataclass(frozen=True)
class Rejection:
    """An event dead-lettered because it can never be applied: its id as sent (and its source
    and data, when readable), its inbox key, and a stable reason code."""

    reason: str
    event_id: str
    key: str
    source: str | None
    data: Any


Rejecter = Callable[[UnitOfWork, Rejection], None]


@dataclass(frozen=True)
class Subscription(Generic[E]):
    event: type[E]
    handler: Handler[E]
    reject: Rejecter | None = None

    @property
    def subject(self) -> str:
        return self.event.subject
