"""Tables and API models of the disbursement service."""

from services.disbursement.models.base import INFRA, Base
from services.disbursement.models.batches import BatchPayment, PaymentBatch
from services.disbursement.models.calls import Application, Call
from services.disbursement.models.grants import Grant, Hold, Payee, Tranche, VerifiedMilestone
from services.disbursement.models.payments import Instruction, PaymentAlert, Settlement

__all__ = [
    "INFRA",
    "Application",
    "Base",
    "BatchPayment",
    "Call",
    "Grant",
    "Hold",
    "Instruction",
    "Payee",
    "PaymentAlert",
    "PaymentBatch",
    "Settlement",
    "Tranche",
    "VerifiedMilestone",
]
