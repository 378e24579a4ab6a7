"""What finance systems publish to the `EDF_FINANCE` stream about payment instructions.

`instruction_id` is the one from `edf.disbursement.payment.instructed.v1`: the idempotency key.
Publish each report once per instruction with a `Nats-Msg-Id` derived from it; repeating a report
changes nothing, and a report contradicting an earlier one is kept as an alert (never paid twice).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import StringConstraints

from shared.events.envelope import EventData

BankReference = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=140)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class PaymentSettledV1(EventData, subject="edf.finance.payment.settled.v1"):
    """A finance system reports an instruction paid, with the bank's reference."""

    instruction_id: uuid.UUID
    settled_at: datetime
    bank_reference: BankReference


class PaymentFailedV1(EventData, subject="edf.finance.payment.failed.v1"):
    """A finance system reports that an instruction could not be paid, and why; the tranche may
    be paid again under a new instruction."""

    instruction_id: uuid.UUID
    failed_at: datetime
    reason: Reason
