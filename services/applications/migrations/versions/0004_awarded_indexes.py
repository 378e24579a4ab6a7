"""partial indexes for screening's look-up of earlier awards in other calls

Revision ID: 0004
Revises: 0003

Screening asks, for each submission, whether the national id or the registration was awarded in
another call; without these, each question read every application in the database.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AWARDED = sa.text("status = 'awarded'")


def upgrade() -> None:
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.create_index(
            "ix_applications_awarded_national_id",
            ["national_id_hash"],
            unique=False,
            postgresql_where=AWARDED,
            sqlite_where=AWARDED,
        )
        batch_op.create_index(
            "ix_applications_awarded_registration",
            ["registration_key"],
            unique=False,
            postgresql_where=AWARDED,
            sqlite_where=AWARDED,
        )


def downgrade() -> None:
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index("ix_applications_awarded_registration")
        batch_op.drop_index("ix_applications_awarded_national_id")
