"""The migration that chains every app's audit trail and makes it append-only (each app's
`migrations/versions/*_audit_hash_chain.py` calls `upgrade`/`downgrade`; part of the migration
history, so not to be changed).

- Columns `seq`, `prev_hash`, `hash` and `causation_id`; a unique index on `seq`.
- Rows written before: chained in `id` order from the genesis (`shared.audit.GENESIS`), so that
  the whole trail verifies, old rows included.
- Append-only: triggers refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL), whoever asks,
  the owner included; on PostgreSQL the role that runs the migration (the app's own role, which
  owns its tables) also gives up UPDATE, DELETE and TRUNCATE on `audit_log`.
  A later migration that rebuilds `audit_log` on SQLite (batch mode copies the table) must
  create the triggers again (`create_triggers`).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from shared.audit import GENESIS, chain

TABLE = "audit_log"
MESSAGE = "audit_log is append-only"
PG_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$
"""
PG_TRIGGERS = (
    "CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
    "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()",
)
SQLITE_TRIGGERS = tuple(
    f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
    for verb in ("UPDATE", "DELETE")
)

_audit = sa.table(
    TABLE,
    sa.column("id", sa.Integer),
    sa.column("at", sa.DateTime(timezone=True)),
    sa.column("actor_id", sa.String),
    sa.column("actor_role", sa.String),
    sa.column("action", sa.String),
    sa.column("entity_type", sa.String),
    sa.column("entity_id", sa.String),
    sa.column("before", sa.JSON),
    sa.column("after", sa.JSON),
    sa.column("correlation_id", sa.String),
    sa.column("causation_id", sa.String),
    sa.column("seq", sa.BigInteger),
    sa.column("prev_hash", sa.String),
    sa.column("hash", sa.String),
)


def upgrade() -> None:
    with op.batch_alter_table(TABLE) as batch:
        batch.add_column(sa.Column("causation_id", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("seq", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
    _chain_existing_rows()
    with op.batch_alter_table(TABLE) as batch:
        batch.alter_column("seq", existing_type=sa.BigInteger(), nullable=False)
        batch.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
        batch.create_index("ux_audit_seq", ["seq"], unique=True)
    create_triggers()


def downgrade() -> None:
    drop_triggers()
    with op.batch_alter_table(TABLE) as batch:
        batch.drop_index("ux_audit_seq")
        batch.drop_column("hash")
        batch.drop_column("prev_hash")
        batch.drop_column("seq")
        batch.drop_column("causation_id")


def create_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        for statement in PG_TRIGGERS:
            op.execute(statement)
        op.execute("REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM PUBLIC, CURRENT_USER")
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def drop_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("GRANT UPDATE, DELETE, TRUNCATE ON audit_log TO CURRENT_USER")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update_delete ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")


def _chain_existing_rows(batch: int = 1000) -> None:
    """Numbers and hashes the rows already there, oldest (lowest id) first."""
    bind = op.get_bind()
    last_seq, last_hash, after = 0, GENESIS, 0
    while True:
        rows: list[dict[str, Any]] = [
            dict(r)
            for r in bind.execute(
                sa.select(_audit).where(_audit.c.id > after).order_by(_audit.c.id).limit(batch)
            ).mappings()
        ]
        if not rows:
            return
        chained = chain(rows, last_seq, last_hash)
        for row in chained:
            bind.execute(
                sa.update(_audit)
                .where(_audit.c.id == row["id"])
                .values(seq=row["seq"], prev_hash=row["prev_hash"], hash=row["hash"])
            )
        last_seq, last_hash, after = chained[-1]["seq"], chained[-1]["hash"], rows[-1]["id"]
