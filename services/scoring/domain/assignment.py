"""Who reviews what: officers balanced by open workload, never twice on one application;
and what a review may do in each state."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from shared.application_status import DECIDED as DECIDED  # re-exported: scoring's rules use it
from shared.application_status import ApplicationStatus
from shared.errors import Conflict


class ReviewStatus(StrEnum):
    pending = "pending"  # in the officer's queue (a draft may be saved)
    submitted = "submitted"  # final
    recused = "recused"  # the officer declared a conflict of interest; kept for the committee
    cancelled = "cancelled"  # the application was withdrawn: out of the queue


REVIEWABLE = frozenset({ApplicationStatus.eligible, ApplicationStatus.under_review})


class AssignmentReason(StrEnum):
    initial = "initial"
    replacement = "replacement"  # after a recusal
    divergence = "divergence"  # one more reviewer because the first ones diverged
    backlog = "backlog"  # a place that waited for an officer, taken by one who arrived later


@dataclass(frozen=True)
class Workload:
    officer_id: uuid.UUID
    open_reviews: int  # pending reviews now
    assigned_total: int  # every review ever assigned (spreads work when open loads are equal)


def choose_reviewers(officers: Iterable[Workload], excluded: Iterable[uuid.UUID], count: int) -> list[uuid.UUID]:
    """Up to `count` officers with the least open work, never one in `excluded` (already on the
    application, recused or not). Ties: fewer reviews ever assigned, then officer id, so the
    choice is deterministic."""
    if count <= 0:
        return []
    skip = set(excluded)
    ranked = sorted(
        (o for o in officers if o.officer_id not in skip),
        key=lambda o: (o.open_reviews, o.assigned_total, o.officer_id.hex),
    )
    chosen: list[uuid.UUID] = []
    for officer in ranked:
        if officer.officer_id not in chosen:
            chosen.append(officer.officer_id)
        if len(chosen) == count:
            break
    return chosen


def ensure_pending(status: ReviewStatus, action: str) -> None:
    """Drafts, submission and recusal need a pending review: a submitted one is final."""
    if status is not ReviewStatus.pending:
        raise Conflict(f"this review is {status.value}; only a pending review can be {action}")


def active(statuses: Sequence[ReviewStatus]) -> int:
    """Reviewers who count for an application: pending or submitted (not recused or cancelled)."""
    return sum(1 for s in statuses if s in (ReviewStatus.pending, ReviewStatus.submitted))
