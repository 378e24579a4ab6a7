"""Splitting an award into tranches so that the amounts sum exactly to the award.

The rule: every tranche but the last gets its percent of the award rounded DOWN to the call
currency's minor unit (a cent for USD; a dinar for IQD with exponent 0); the last tranche gets
what remains. The remainder is less than one minor unit per tranche before it, so the last
tranche is never smaller than its exact share and the sum is the award to the minor unit.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import ROUND_DOWN, Decimal, localcontext

from shared.money import fits_exponent

# Grant and tranche ids are derived from the application id, so that rebuilding this service
# from the streams gives the grants the same ids that monitoring's events refer to.
GRANT_NAMESPACE = uuid.UUID("9b1f7a34-52c4-4d0e-9a55-3f1c6c0d2e71")


class CannotSplit(ValueError):
    """The award cannot be split by this plan (e.g. a tranche would be less than one minor unit)."""


def split_award(amount: Decimal, exponent: int, percents: Sequence[Decimal]) -> list[Decimal]:
    if amount <= 0 or not fits_exponent(amount, exponent):
        raise CannotSplit(f"the award {amount} is not a positive amount with at most {exponent} decimal places")
    if not percents or any(p <= 0 for p in percents) or sum(percents, Decimal(0)) != 100:
        raise CannotSplit("tranche percents must be positive and sum to 100")
    unit = Decimal(1).scaleb(-exponent)
    with localcontext() as context:
        context.prec = 80  # exact products: no rounding before the rounding down below
        shares = [(amount * percent / 100).quantize(unit, rounding=ROUND_DOWN) for percent in percents[:-1]]
        shares.append(amount - sum(shares, Decimal(0)))
    if any(share < unit for share in shares):
        raise CannotSplit(f"the award {amount} is too small for {len(percents)} tranches of this plan")
    return [share.quantize(unit) for share in shares]


def grant_id_for(application_id: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(GRANT_NAMESPACE, f"grant:{application_id}")


def tranche_id_for(grant_id: uuid.UUID, seq: int) -> uuid.UUID:
    return uuid.uuid5(GRANT_NAMESPACE, f"tranche:{grant_id}:{seq}")
