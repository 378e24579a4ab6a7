"""Payment channels and batches: which way an instruction goes out, and a batch's moves.

A call's `payment_channel` is `events` (a finance system receives `payment.instructed`) or
`bank_file` (finance makes payment batches, one ISO 20022 pain.001 file each). An instruction's
channel is decided once, when it is made: a bank payment of a `bank_file` call goes in a batch
and is not announced as `payment.instructed`; everything else goes as the event. A wallet has no
place in a bank file, so a mobile money payment goes as the event whatever the call says.

Batch: `open` → `sent` (final) | `cancelled` (final; its payments go back to the pool).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from shared.errors import Conflict


class Channel(StrEnum):
    events = "events"
    bank_file = "bank_file"


class BatchStatus(StrEnum):
    open = "open"
    sent = "sent"
    cancelled = "cancelled"


# Stable `code`s of the 409s (clients read them, never `detail`).
NOTHING_TO_BATCH = "no_payments_to_batch"
EVENTS_CHANNEL = "payment_channel_events"
BATCH_SENT = "batch_sent"
BATCH_CANCELLED = "batch_cancelled"


def channel_of(call_channel: str, payee_method: str) -> Channel:
    if Channel(call_channel) is Channel.bank_file and payee_method == "bank":
        return Channel.bank_file
    return Channel.events


def message_id(call_code: str, moment: datetime, token: str) -> str:
    """The file's `MsgId` (at most 35 characters): the call, the time it was made, a random part."""
    return f"{call_code}-{moment:%Y%m%d%H%M%S}-{token}"[:35]


def ensure_batchable_call(call_channel: str) -> None:
    if Channel(call_channel) is Channel.events:
        raise Conflict(
            "this call pays through finance systems (payment_channel `events`): its payments are never in a bank file",
            code=EVENTS_CHANNEL,
        )


def nothing_to_batch() -> Conflict:
    return Conflict(
        "no instructed bank payment of this call is waiting for a batch (every one is in a batch already, "
        "settled, failed or on hold)",
        code=NOTHING_TO_BATCH,
    )


def ensure_sendable(status: BatchStatus) -> None:
    """Marking sent is idempotent for a sent batch (the answer is the same); a cancelled one never."""
    if status is BatchStatus.cancelled:
        raise Conflict("the batch was cancelled: its payments went back to the pool", code=BATCH_CANCELLED)


def cancelled_file() -> Conflict:
    return Conflict(
        "the batch was cancelled: its file must not go to the bank (its payments are back in the pool)",
        code=BATCH_CANCELLED,
    )


def ensure_cancellable(status: BatchStatus) -> None:
    """Cancelling a cancelled batch again changes nothing; a sent one can never be cancelled."""
    if status is BatchStatus.sent:
        raise Conflict("the batch was sent to the bank: it can no longer be cancelled", code=BATCH_SENT)
