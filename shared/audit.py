"""The audit trail's hash chain.

Every database's `audit_log` is one chain: each row carries `seq` (1, 2, 3 … in commit order,
no gaps), `prev_hash` (the `hash` of row `seq - 1`, or `GENESIS` for row 1) and `hash`, the
SHA-256 of the canonical JSON of the row (`canonical`): its seq and prev_hash, when, who, what,
on which object, before and after, correlation and causation ids. Changing, removing or
reordering a row breaks the chain from that row on; `verify` finds the first broken row.

Rows are chained at commit (`append`): on PostgreSQL a transaction-level advisory lock, taken
just before the audit rows are inserted, makes concurrent transactions append one after the
other (and the unique `seq` refuses a fork if anything ever got past it); SQLite has a single
writer. The canonical form is part of the stored data: changing it would break every chain,
so it is versioned (`"v": 1`) and never edited.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, func, insert, select, text
from sqlalchemy.orm import Session

GENESIS = "0" * 64
CHAIN_LOCK = 0x0A0D_17C4_A1  # pg_advisory_xact_lock key of the audit chain (per database)
CANONICAL_VERSION = 1
HASHED = (
    "at",
    "actor_id",
    "actor_role",
    "action",
    "entity_type",
    "entity_id",
    "before",
    "after",
    "correlation_id",
    "causation_id",
)


def utc_text(moment: datetime) -> str:
    """A timestamp as stored, whatever the driver returns: naive means UTC (SQLite)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def jsonable(value: Any) -> Any:
    """Before/after snapshots as they are stored: through JSON, so Decimals and UUIDs become text."""
    return None if value is None else json.loads(json.dumps(value, default=str))


def canonical(seq: int, prev_hash: str, row: Mapping[str, Any]) -> bytes:
    """The bytes that are hashed: sorted keys, no spaces, UTF-8."""
    document: dict[str, Any] = {name: row.get(name) for name in HASHED}
    document["at"] = utc_text(row["at"])
    document.update(v=CANONICAL_VERSION, seq=seq, prev_hash=prev_hash)
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def row_hash(seq: int, prev_hash: str, row: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(seq, prev_hash, row)).hexdigest()


def chain(rows: Iterable[Mapping[str, Any]], last_seq: int = 0, last_hash: str = GENESIS) -> list[dict[str, Any]]:
    """The rows numbered and hashed after the chain's last row (pure)."""
    chained: list[dict[str, Any]] = []
    seq, prev = last_seq, last_hash
    for row in rows:
        seq += 1
        digest = row_hash(seq, prev, row)
        chained.append({**row, "seq": seq, "prev_hash": prev, "hash": digest})
        prev = digest
    return chained


def append(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Chains and inserts audit rows in the session's transaction; call it last before commit,
    since on PostgreSQL the chain's lock is then held until the commit."""
    if not rows:
        return
    connection = session.connection()  # Core statements: the ORM's execute path costs more each
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK})
    tail = connection.execute(select(table.c.seq, table.c.hash).order_by(table.c.seq.desc()).limit(1)).first()
    last_seq, last_hash = (int(tail.seq), str(tail.hash)) if tail is not None else (0, GENESIS)
    connection.execute(insert(table), chain(rows, last_seq, last_hash))


@dataclass(frozen=True)
class Verdict:
    rows: int  # rows found intact, in order
    head_seq: int  # the last intact row (0: none)
    head_hash: str
    broken_seq: int | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.broken_seq is None


def verify_rows(rows: Iterable[Mapping[str, Any]]) -> Verdict:
    """Checks rows given in seq order (pure): numbering from 1 without gaps, links and hashes."""
    count, prev = 0, GENESIS
    for row in rows:
        expected = count + 1
        seq = row["seq"]
        if seq != expected:
            reason = f"row {expected} is missing" if seq > expected else f"a row {seq} is out of place"
            return Verdict(count, count, prev, expected, reason)
        if row["prev_hash"] != prev:
            return Verdict(count, count, prev, seq, "its prev_hash is not the previous row's hash")
        if row["hash"] != row_hash(seq, prev, row):
            return Verdict(count, count, prev, seq, "its content does not match its hash")
        count, prev = seq, row["hash"]
    return Verdict(count, count, prev)


def verify(connection: Connection, table: Table, batch: int = 2000) -> Verdict:
    """Walks a database's audit chain in seq order, `batch` rows at a time."""

    def rows() -> Iterable[Mapping[str, Any]]:
        query = select(table).order_by(table.c.seq).limit(batch)
        while True:
            page = connection.execute(query).mappings().all()
            yield from cast(list[Mapping[str, Any]], page)
            if len(page) < batch:
                return
            query = select(table).where(table.c.seq > page[-1]["seq"]).order_by(table.c.seq).limit(batch)

    verdict = verify_rows(rows())
    if verdict.ok:
        total = connection.execute(select(func.count()).select_from(table)).scalar_one()
        if total != verdict.rows:
            return Verdict(
                verdict.rows,
                verdict.head_seq,
                verdict.head_hash,
                verdict.rows + 1,
                f"{total - verdict.rows} rows are outside the chain (no seq)",
            )
    return verdict
