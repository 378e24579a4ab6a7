"""The audit trail's hash chain as pure functions (shared/audit.py)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from shared.audit import GENESIS, canonical, chain, jsonable, row_hash, utc_text, verify_rows

AT = datetime(2026, 11, 28, 9, 56, 7, 123456, tzinfo=UTC)


def row(action: str = "call.opened", **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "at": AT,
        "actor_id": "5b0c6a1e-0000-4000-8000-000000000001",
        "actor_role": "admin",
        "action": action,
        "entity_type": "call",
        "entity_id": "c-1",
        "before": {"status": "draft"},
        "after": {"status": "open"},
        "correlation_id": "req-1",
        "causation_id": None,
    }
    return {**values, **overrides}


def test_the_hash_is_sha256_of_a_canonical_json_with_sorted_keys_and_no_spaces() -> None:
    document = canonical(1, GENESIS, row())
    assert document == json.dumps(json.loads(document), sort_keys=True, separators=(",", ":")).encode()
    parsed = json.loads(document)
    assert parsed == {
        "v": 1,
        "seq": 1,
        "prev_hash": GENESIS,
        "at": "2026-11-28T09:56:07.123456+00:00",
        "actor_id": row()["actor_id"],
        "actor_role": "admin",
        "action": "call.opened",
        "entity_type": "call",
        "entity_id": "c-1",
        "before": {"status": "draft"},
        "after": {"status": "open"},
        "correlation_id": "req-1",
        "causation_id": None,
    }
    assert row_hash(1, GENESIS, row()) == hashlib.sha256(document).hexdigest()


def test_the_same_moment_hashes_the_same_from_any_driver() -> None:
    """SQLite gives naive UTC datetimes back, PostgreSQL aware ones in the session's zone."""
    naive = AT.replace(tzinfo=None)
    elsewhere = AT.astimezone(timezone(timedelta(hours=3)))
    assert utc_text(naive) == utc_text(elsewhere) == utc_text(AT) == "2026-11-28T09:56:07.123456+00:00"
    assert row_hash(4, "a" * 64, row(at=naive)) == row_hash(4, "a" * 64, row(at=elsewhere))
    assert utc_text(AT.replace(microsecond=0)).endswith("07.000000+00:00")


def test_snapshots_are_hashed_as_stored_and_key_order_does_not_matter() -> None:
    assert jsonable({"amount": Decimal("12.50"), "ids": (1, 2)}) == {"amount": "12.50", "ids": [1, 2]}
    assert jsonable(None) is None
    one = row(after={"a": 1, "b": "ب"})
    other = row(after={"b": "ب", "a": 1})
    assert row_hash(1, GENESIS, one) == row_hash(1, GENESIS, other)
    assert "ب" in canonical(1, GENESIS, one).decode()


def test_chain_numbers_and_links_rows_after_the_last_one() -> None:
    first = chain([row("a"), row("b")])
    assert [(r["seq"], r["prev_hash"]) for r in first] == [(1, GENESIS), (2, first[0]["hash"])]
    more = chain([row("c")], last_seq=2, last_hash=first[1]["hash"])
    assert more[0]["seq"] == 3 and more[0]["prev_hash"] == first[1]["hash"]
    assert verify_rows([*first, *more]).ok
    assert chain([]) == []


def test_verify_names_the_first_row_that_is_changed_missing_or_relinked() -> None:
    rows = chain([row(str(n)) for n in range(6)])
    verdict = verify_rows(rows)
    assert (verdict.ok, verdict.rows, verdict.head_seq, verdict.head_hash) == (True, 6, 6, rows[-1]["hash"])
    assert verify_rows([]).ok and verify_rows([]).head_hash == GENESIS

    edited = [dict(r) for r in rows]
    edited[3]["after"] = {"status": "rewritten"}
    broken = verify_rows(edited)
    assert (broken.ok, broken.broken_seq, broken.rows, broken.reason) == (
        False,
        4,
        3,
        "its content does not match its hash",
    )

    gap = verify_rows([r for r in rows if r["seq"] != 3])
    assert (gap.broken_seq, gap.reason) == (3, "row 3 is missing")
    assert verify_rows(rows[1:]).broken_seq == 1

    # Row 4 rehashed after an edit: its own hash matches, row 5's link does not.
    rehashed = [dict(r) for r in rows]
    rehashed[3]["action"] = "forged"
    rehashed[3]["hash"] = row_hash(4, rehashed[3]["prev_hash"], rehashed[3])
    assert (verify_rows(rehashed).broken_seq, verify_rows(rehashed).reason) == (
        5,
        "its prev_hash is not the previous row's hash",
    )

    swapped = [dict(r) for r in rows]
    swapped[1], swapped[2] = {**rows[2], "seq": 2}, {**rows[1], "seq": 3}
    assert verify_rows(swapped).broken_seq == 2


texts = st.text(max_size=20)
snapshots = st.none() | st.dictionaries(texts, st.integers() | texts | st.booleans() | st.none(), max_size=4)


@given(st.lists(st.tuples(texts, texts, snapshots, snapshots), min_size=1, max_size=8), st.data())
def test_any_single_change_to_any_row_is_found(items: list[tuple[Any, ...]], data: st.DataObject) -> None:
    rows = chain([row(action, entity_id=entity, before=before, after=after) for action, entity, before, after in items])
    assert verify_rows(rows).ok
    index = data.draw(st.integers(0, len(rows) - 1))
    field = data.draw(st.sampled_from(["action", "entity_id", "actor_id", "before", "after", "at", "causation_id"]))
    changed = [dict(r) for r in rows]
    value = changed[index][field]
    if field == "at":
        changed[index][field] = value + timedelta(microseconds=1)
    elif field in ("before", "after"):
        changed[index][field] = {"changed": True} if value != {"changed": True} else None
    else:
        changed[index][field] = (value or "") + "x"
    assert verify_rows(changed).broken_seq == index + 1
