"""The end-of-run checks, from the databases (SQL) and the streams (JetStream), each a named
check with its figure. `lost` counts effects that should exist and do not (an event not
published, not consumed, an award without its grant, an instruction never paid); `duplicated`
counts effects that exist twice (a second screening, grant, live instruction or payment)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

from chaos.data import Data
from chaos.delivery import delivery_checks
from chaos.ledgers import ledger_checks
from chaos.streams import Streams
from chaos.verdict import Check

SUBMITTED = "edf.applications.application.submitted.v1"
SCREENED = "edf.applications.application.screened.v1"
DECIDED = "edf.scoring.application.decided.v1"
GRANT_CREATED = "edf.disbursement.grant.created.v1"
INSTRUCTED = "edf.disbursement.payment.instructed.v1"
APPROVED = "edf.disbursement.tranche.approved.v1"
REPORTS = ("edf.finance.payment.settled.v1", "edf.finance.payment.failed.v1")
LIVE_TRANCHE = ("instructed", "paid")


def _per(events: Iterable[Any], key: str) -> Counter[str]:
    return Counter(str(e.data.get(key)) for e in events)


def _subject(streams: Streams, subject: str) -> list[Any]:
    return [e for e in streams.events if e.subject == subject]


def screened_once(data: Data, streams: Streams) -> Check:
    submitted = {
        r["id"]: r
        for r in data.rows(
            "applications",
            "SELECT id, status, screening IS NOT NULL AS screened "
            "FROM applications WHERE status NOT IN ('draft', 'withdrawn')",
        )
    }
    events = _per(_subject(streams, SCREENED), "application_id")
    audits = Counter(
        r["entity_id"]
        for r in data.rows("applications", "SELECT entity_id FROM audit_log WHERE action = 'application.screened'")
    )
    check = Check(
        "every submitted application screened exactly once",
        f"{len(submitted)} submitted, {sum(events.values())} screened events",
    )
    for application_id, row in submitted.items():
        if events[application_id] == 0 or not row["screened"] or row["status"] == "submitted":
            check.lost += 1
            check.problems.append(f"{application_id} not screened (status {row['status']})")
        check.duplicated += max(events[application_id] - 1, 0) + max(audits[application_id] - 1, 0)
    check.duplicated += sum(n for a, n in events.items() if a not in submitted)
    return check


def copies(data: Data) -> Check:
    submitted = {
        r["id"]
        for r in data.rows("applications", "SELECT id FROM applications WHERE status NOT IN ('draft', 'withdrawn')")
    }
    check = Check("submitted applications copied to scoring, disbursement and monitoring", "")
    figures = []
    for service in ("scoring", "disbursement", "monitoring"):
        copied = {r["id"] for r in data.rows(service, "SELECT id FROM applications")}
        missing = submitted - copied
        check.lost += len(missing)
        check.problems += [f"{service} has no copy of {a}" for a in sorted(missing)[:5]]
        figures.append(f"{service} {len(copied & submitted)}/{len(submitted)}")
    stuck = data.rows("scoring", "SELECT id FROM applications WHERE status = 'submitted'")
    check.lost += len(stuck)
    check.problems += [f"scoring never saw the screening of {r['id']}" for r in stuck[:5]]
    check.figure = ", ".join(figures)
    return check


def statuses_agree(data: Data) -> Check:
    """Each service's copy of an application ends in the status the applications service shows
    the applicant (the effect of the last event about it was not lost, nor undone by a late one)."""
    shown = {
        r["id"]: r["status"]
        for r in data.rows(
            "applications", "SELECT id, status FROM applications WHERE status NOT IN ('draft', 'withdrawn')"
        )
    }
    copies = {
        service: {r["id"]: r["status"] for r in data.rows(service, "SELECT id, status FROM applications")}
        for service in ("scoring", "monitoring")
    }
    check = Check(
        "every application's status agrees across services",
        ", ".join(f"{n} {s}" for s, n in sorted(Counter(shown.values()).items())),
    )
    for application_id, status in shown.items():
        differ = {
            service: found.get(application_id)
            for service, found in copies.items()
            if found.get(application_id) != status
        }
        if differ:
            check.lost += 1
            check.problems.append(
                f"{application_id}: applications shows {status}, "
                + ", ".join(f"{service} {s}" for service, s in differ.items())
            )
    return check


def one_grant_per_award(data: Data, streams: Streams) -> Check:
    decisions = data.rows("scoring", "SELECT application_id, decision, amount FROM decisions")
    awards = Counter(r["application_id"] for r in decisions if r["decision"] == "awarded")
    amounts = {r["application_id"]: Decimal(r["amount"]) for r in decisions if r["decision"] == "awarded"}
    grants = data.rows("disbursement", "SELECT id, application_id, amount FROM grants")
    per_application = Counter(r["application_id"] for r in grants)
    created = _per(_subject(streams, GRANT_CREATED), "application_id")
    monitored = {r["id"] for r in data.rows("monitoring", "SELECT id FROM grants")}
    check = Check(
        "every award has exactly one grant",
        f"{len(awards)} awards, {len(grants)} grants, {sum(created.values())} grant.created events, "
        f"{len(monitored)} grants in monitoring",
    )
    for application_id in awards:
        if per_application[application_id] == 0:
            check.lost += 1
            check.problems.append(f"award of {application_id} has no grant")
    check.duplicated += sum(n - 1 for n in awards.values() if n > 1)
    check.duplicated += sum(n - 1 for n in per_application.values() if n > 1)
    check.duplicated += sum(n - 1 for n in created.values() if n > 1)
    spurious = [a for a in per_application if a not in awards]
    check.duplicated += len(spurious)
    check.problems += [f"grant for {a}, which was not awarded" for a in spurious[:5]]
    for grant in grants:
        if grant["application_id"] in amounts and Decimal(grant["amount"]) != amounts[grant["application_id"]]:
            award = amounts[grant["application_id"]]
            check.problems.append(f"grant {grant['id']} is {grant['amount']}, the award {award}")
        if grant["id"] not in monitored:
            check.lost += 1
            check.problems.append(f"grant {grant['id']} is not in monitoring")
    return check


def one_live_instruction(data: Data, streams: Streams) -> Check:
    tranches = data.rows("disbursement", "SELECT id, status FROM tranches")
    instructions = data.rows("disbursement", "SELECT id, tranche_id, attempt, status, channel FROM instructions")
    live = Counter(r["tranche_id"] for r in instructions if r["status"] != "failed")
    instructed = _per(_subject(streams, INSTRUCTED), "instruction_id")
    approved = _per(_subject(streams, APPROVED), "instruction_id")
    attempts = Counter((r["tranche_id"], r["attempt"]) for r in instructions)
    approved_tranches = [t for t in tranches if t["status"] in LIVE_TRANCHE]
    check = Check(
        "every approved tranche has exactly one live instruction",
        f"{len(approved_tranches)} tranches approved, {len(instructions)} instructions "
        f"({sum(r['status'] == 'failed' for r in instructions)} failed and instructed again), "
        f"{sum(instructed.values())} payment.instructed events",
    )
    for tranche in tranches:
        wanted = 1 if tranche["status"] in LIVE_TRANCHE else 0
        if live[tranche["id"]] < wanted:
            check.lost += 1
            check.problems.append(f"tranche {tranche['id']} is {tranche['status']} without a live instruction")
        check.duplicated += max(live[tranche["id"]] - wanted, 0)
    check.duplicated += sum(n - 1 for n in attempts.values() if n > 1)
    known = {r["id"] for r in instructions}
    announced = {r["id"] for r in instructions if r["channel"] == "events"}  # bank_file: in a batch instead
    for instruction_id in known:
        if (instruction_id in announced and instructed[instruction_id] == 0) or approved[instruction_id] == 0:
            check.lost += 1
            check.problems.append(f"instruction {instruction_id} has no payment.instructed/tranche.approved event")
    check.duplicated += sum(n - 1 for n in instructed.values() if n > 1)
    check.duplicated += sum(n - 1 for n in approved.values() if n > 1)
    check.duplicated += sum(1 for i in instructed if i not in known)
    return check


def paid_at_most_once(data: Data, streams: Streams, finance_db: Path) -> Check:
    instructions = {r["id"]: r for r in data.rows("disbursement", "SELECT id, status FROM instructions")}
    settlements = Counter(
        r["instruction_id"] for r in data.rows("disbursement", "SELECT instruction_id FROM settlements")
    )
    payments = data.finance_payments(finance_db)
    paid = Counter(p["instruction_id"] for p in payments)
    report_ids: dict[str, set[str]] = {}
    for event in streams.events:
        if event.subject in REPORTS:
            report_ids.setdefault(str(event.data.get("instruction_id")), set()).add(str(event.msg_id))
    alerts = data.rows("disbursement", "SELECT instruction_id, kind FROM payment_alerts")
    check = Check(
        "every instruction paid at most once",
        f"{len(payments)} payments by the finance consumer for {len(instructions)} instructions, "
        f"{sum(settlements.values())} settlements, {len(alerts)} payment alerts",
    )
    outcome = {p["instruction_id"]: p["outcome"] for p in payments}
    for instruction_id, row in instructions.items():
        if paid[instruction_id] == 0 or settlements[instruction_id] == 0:
            check.lost += 1
            check.problems.append(f"instruction {instruction_id} not paid/settled (status {row['status']})")
        elif row["status"] != outcome[instruction_id]:
            check.problems.append(
                f"instruction {instruction_id} is {row['status']}, the finance consumer says {outcome[instruction_id]}"
            )
    check.duplicated += sum(n - 1 for n in paid.values() if n > 1)
    check.duplicated += sum(n - 1 for n in settlements.values() if n > 1)
    check.duplicated += sum(len(ids) - 1 for ids in report_ids.values() if len(ids) > 1)
    unknown = [i for i in paid if i not in instructions]
    check.duplicated += len(unknown)
    check.problems += [f"paid {i}, which disbursement never instructed" for i in unknown[:5]]
    check.problems += [f"payment alert {a['kind']} on {a['instruction_id']}" for a in alerts[:5]]
    return check


def run_checks(data: Data, streams: Streams, finance_db: Path) -> list[Check]:
    return [
        screened_once(data, streams),
        copies(data),
        statuses_agree(data),
        one_grant_per_award(data, streams),
        one_live_instruction(data, streams),
        paid_at_most_once(data, streams, finance_db),
        *ledger_checks(data, finance_db),
        *delivery_checks(data, streams),
    ]
