"""Ledger checks: every total a service keeps equals the sum of the rows it totals, the services
agree with each other, and the finance consumer paid exactly what disbursement counts as
disbursed."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from chaos.data import Data
from chaos.verdict import Check


def _sums(rows: list[dict[str, object]], key: str, value: str) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        totals[str(row[key])] += Decimal(str(row[value] or 0))
    return totals


def _compare(check: Check, what: str, kept: dict[str, Decimal], summed: dict[str, Decimal]) -> None:
    for key in sorted(set(kept) | set(summed)):
        if kept.get(key, Decimal(0)) != summed.get(key, Decimal(0)):
            check.problems.append(f"{what} {key}: kept {kept.get(key, 0)}, rows sum to {summed.get(key, 0)}")


def ledger_checks(data: Data, finance_db: Path) -> list[Check]:
    check = Check("ledger sums equal row sums in every service", "")
    # applications: each call's reference counter has counted every application of the call
    counters = {
        r["call_id"]: Decimal(r["next_number"]) - 1
        for r in data.rows("applications", "SELECT call_id, next_number FROM call_counters")
    }
    _compare(
        check,
        "applications: references issued in call",
        counters,
        _sums(data.rows("applications", "SELECT call_id, 1 AS one FROM applications"), "call_id", "one"),
    )
    # scoring: the awards made per call
    scoring_awarded = {
        r["id"]: Decimal(r["awarded_total"]) for r in data.rows("scoring", "SELECT id, awarded_total FROM calls")
    }
    _compare(
        check,
        "scoring: awarded in call",
        scoring_awarded,
        _sums(
            data.rows("scoring", "SELECT call_id, amount FROM decisions WHERE decision = 'awarded'"),
            "call_id",
            "amount",
        ),
    )
    _compare(
        check,
        "scoring: awarded applications in call",
        scoring_awarded,
        _sums(
            data.rows("scoring", "SELECT call_id, decided_amount FROM applications WHERE status = 'awarded'"),
            "call_id",
            "decided_amount",
        ),
    )
    # disbursement: grants per call, tranches per grant, paid per grant
    disbursement_awarded = {
        r["id"]: Decimal(r["awarded_total"]) for r in data.rows("disbursement", "SELECT id, awarded_total FROM calls")
    }
    grants = data.rows("disbursement", "SELECT id, call_id, amount, paid_total, status FROM grants")
    _compare(check, "disbursement: awarded in call", disbursement_awarded, _sums(grants, "call_id", "amount"))
    _compare(
        check,
        "disbursement: grant amount vs its tranches",
        _sums(grants, "id", "amount"),
        _sums(data.rows("disbursement", "SELECT grant_id, amount FROM tranches"), "grant_id", "amount"),
    )
    settled = data.rows(
        "disbursement", "SELECT grant_id, tranche_id, amount FROM instructions WHERE status = 'settled'"
    )
    _compare(
        check, "disbursement: paid in grant", _sums(grants, "id", "paid_total"), _sums(settled, "grant_id", "amount")
    )
    _compare(
        check,
        "disbursement: paid tranches in grant",
        _sums(settled, "grant_id", "amount"),
        _sums(
            data.rows("disbursement", "SELECT grant_id, amount FROM tranches WHERE status = 'paid'"),
            "grant_id",
            "amount",
        ),
    )
    unfinished = [g["id"] for g in grants if g["status"] == "completed" and g["paid_total"] != g["amount"]]
    check.problems += [f"disbursement: grant {g} completed but not fully paid" for g in unfinished[:5]]
    # monitoring agrees with disbursement
    _compare(
        check,
        "monitoring: grant amount (vs disbursement)",
        _sums(grants, "id", "amount"),
        _sums(data.rows("monitoring", "SELECT id, amount FROM grants"), "id", "amount"),
    )
    _compare(
        check,
        "monitoring: paid in grant (vs disbursement)",
        _sums(grants, "id", "paid_total"),
        _sums(
            data.rows("monitoring", "SELECT grant_id, paid_amount FROM grant_tranches WHERE paid_at IS NOT NULL"),
            "grant_id",
            "paid_amount",
        ),
    )
    # scoring and disbursement agree on what was awarded
    _compare(check, "awarded in call (scoring vs disbursement)", scoring_awarded, disbursement_awarded)
    total_awarded = sum(disbursement_awarded.values(), Decimal(0))
    check.figure = (
        f"{len(grants)} grants, {total_awarded:,.2f} awarded, "
        f"{sum((Decimal(g['paid_total']) for g in grants), Decimal(0)):,.2f} paid; "
        "applications, scoring, disbursement and monitoring"
    )

    payments = data.finance_payments(finance_db)
    finance_total = sum((Decimal(p["amount"]) for p in payments if p["outcome"] == "settled"), Decimal(0))
    disbursed = sum((Decimal(str(r["amount"])) for r in settled), Decimal(0))
    paid_total = sum((Decimal(g["paid_total"]) for g in grants), Decimal(0))
    finance = Check(
        "the finance consumer's total equals the disbursed total",
        f"finance consumer {finance_total:,.2f}, disbursement {disbursed:,.2f}",
    )
    if not finance_total == disbursed == paid_total:
        finance.problems.append(f"finance {finance_total}, settled instructions {disbursed}, grants paid {paid_total}")
    return [check, finance]
