"""Inbox consumers: durable pull consumers with explicit ack.

Each event's effect and its `(consumer, event id)` inbox row commit in one transaction, and
the message is acked only after that commit: a redelivered or republished event is acked and
skipped. A message that can never succeed (bad JSON, bad envelope, bad data, or a handler
that raises `UnprocessableEvent`) is terminated at once and kept as a dead letter; a handler
that keeps failing is retried with backoff up to `max_deliver` times, then dead-lettered.
Envelopes are parsed leniently (`IncomingCloudEvent`: any structured CloudEvent 1.0) and keyed
by `source` + `id`; a subscription's `reject` hook answers the events it dead-letters as never
applicable, in the dead letter's transaction.

`subscription` says what a consumer subscribes to (an event class and its handler),
`applier` applies events in a unit of work with their inbox claim and keeps dead letters,
`consumer` is the loop that pulls, acks, retries and terminates messages.
"""

from shared.inbox.applier import InboxApplier
from shared.inbox.consumer import ConsumerPolicy, InboxConsumer, consumers_for, durable_name
from shared.inbox.subscription import Handler, NotYetApplicable, Rejecter, Rejection, Subscription, UnprocessableEvent

__all__ = [
    "ConsumerPolicy",
    "Handler",
    "InboxApplier",
    "InboxConsumer",
    "NotYetApplicable",
    "Rejecter",
    "Rejection",
    "Subscription",
    "UnprocessableEvent",
    "consumers_for",
    "durable_name",
]
