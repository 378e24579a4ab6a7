"""audit hash chain: seq, prev_hash, hash and causation_id; audit_log append-only

Revision ID: 0002
Revises: 0001

Rows already there are chained in id order from the genesis; see shared/audit_schema.py.
"""

from collections.abc import Sequence

from shared import audit_schema

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    audit_schema.upgrade()


def downgrade() -> None:
    audit_schema.downgrade()
