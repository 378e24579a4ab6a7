"""Events the applications service consumes (later: scoring and disbursement outcomes)."""

from shared.inbox import Subscription

SUBSCRIPTIONS: list[Subscription] = []
