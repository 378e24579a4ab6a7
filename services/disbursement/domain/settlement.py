"""What a finance system's report about a payment instruction does.

Reports arrive by event (`edf.finance.payment.*`) or by `POST /payments/{id}/settlement`, any
number of times and in any order. The first report about an instruction decides it; the same
report again changes nothing; a report contradicting the first (e.g. `settled` for an
instruction that failed, and was maybe instructed again under a new id) changes nothing either
and is kept as an alert for people to look at: the money is never counted twice.
"""

from __future__ import annotations

from enum import StrEnum


class InstructionStatus(StrEnum):
    instructed = "instructed"
    settled = "settled"
    failed = "failed"


class Outcome(StrEnum):
    settled = "settled"
    failed = "failed"


class Verdict(StrEnum):
    apply = "apply"  # the first report: the instruction is settled or failed now
    repeat = "repeat"  # the same as the first: nothing changes
    conflict = "conflict"  # contradicts the first: nothing changes, an alert is raised


def judge(current: InstructionStatus, reported: Outcome) -> Verdict:
    if current is InstructionStatus.instructed:
        return Verdict.apply
    return Verdict.repeat if current.value == reported.value else Verdict.conflict


def alert_kind(current: InstructionStatus, reported: Outcome) -> str:
    """E.g. `settled_after_failed`: a bank says it paid an instruction reported failed before."""
    return f"{reported.value}_after_{current.value}"
