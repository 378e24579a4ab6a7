"""application status and sector

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = (
    "submitted",
    "eligible",
    "ineligible",
    "under_review",
    "scored",
    "awarded",
    "rejected",
    "waitlisted",
    "withdrawn",
)


def upgrade() -> None:
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reference", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch_op.add_column(
            sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=12), server_default="submitted", nullable=False)
        )
        batch_op.add_column(sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("sector", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column("district", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))
        batch_op.create_index("ix_applications_call_status", ["call_id", "status"], unique=False)
        batch_op.create_check_constraint("ck_applications_status", f"status IN {STATUSES}")
    # copies kept before this revision: an application with a grant was awarded
    op.execute("UPDATE applications SET status = 'awarded' WHERE id IN (SELECT application_id FROM grants)")


def downgrade() -> None:
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_constraint("ck_applications_status", type_="check")
        batch_op.drop_index("ix_applications_call_status")
        batch_op.drop_column("district")
        batch_op.drop_column("sector")
        batch_op.drop_column("decided_at")
        batch_op.drop_column("status")
        batch_op.drop_column("reference")
