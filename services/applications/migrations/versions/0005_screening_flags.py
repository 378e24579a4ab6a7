"""screening: one application per applicant and call; owner-name skeletons for possible duplicates

Revision ID: 0005_screening
Revises: 0004

The unique constraint fails on a database where one account already holds two applications in
one call: resolve those first (withdraw-and-delete the extra drafts).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_screening"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AWARDED = sa.text("status = 'awarded'")


def upgrade() -> None:
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_skeleton", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("name_block", sa.String(length=4), nullable=True))
        batch_op.create_unique_constraint("uq_applications_call_applicant", ["call_id", "applicant_id"])
        batch_op.create_index("ix_applications_call_name_block", ["call_id", "name_block"], unique=False)
        batch_op.create_index(
            "ix_applications_awarded_name_block",
            ["name_block"],
            unique=False,
            postgresql_where=AWARDED,
            sqlite_where=AWARDED,
        )


def downgrade() -> None:
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index("ix_applications_awarded_name_block")
        batch_op.drop_index("ix_applications_call_name_block")
        batch_op.drop_constraint("uq_applications_call_applicant", type_="unique")
        batch_op.drop_column("name_block")
        batch_op.drop_column("name_skeleton")
