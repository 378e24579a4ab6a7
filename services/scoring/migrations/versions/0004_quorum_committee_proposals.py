"""quorum: committee quorum on calls, decision proposals, committee recusals

Revision ID: 0004
Revises: 0003

Calls already stored get a quorum of 1, as a call that does not set one: they decide as they did;
a fund sets 2 or more on its calls (docs/scoring.md).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.add_column(sa.Column("committee_quorum", sa.Integer(), server_default="1", nullable=False))
    op.create_table(
        "decision_proposals",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("call_id", sa.Uuid(), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("decision", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=4), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("proposed_by", sa.Uuid(), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["application_id"], ["applications.id"]),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("decision_proposals", schema=None) as batch_op:
        batch_op.create_index("ix_decision_proposals_application", ["application_id", "status"], unique=False)
        batch_op.create_index("ix_decision_proposals_call", ["call_id", "status", "proposed_at", "id"], unique=False)
    op.create_table(
        "committee_recusals",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("call_id", sa.Uuid(), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("declared_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["application_id"], ["applications.id"]),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("application_id", "member_id", name="uq_committee_recusals_member"),
    )


def downgrade() -> None:
    op.drop_table("committee_recusals")
    with op.batch_alter_table("decision_proposals", schema=None) as batch_op:
        batch_op.drop_index("ix_decision_proposals_call")
        batch_op.drop_index("ix_decision_proposals_application")
    op.drop_table("decision_proposals")
    with op.batch_alter_table("calls", schema=None) as batch_op:
        batch_op.drop_column("committee_quorum")
