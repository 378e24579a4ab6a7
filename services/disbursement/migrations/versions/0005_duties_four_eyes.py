"""four eyes on the payee and on the release: who recorded payout details as whom, who confirmed
them; who verified a milestone and who resolved a hold (as monitoring's events now say)

Revision ID: 0005_duties
Revises: 0004_batches

Payout details recorded before this revision by the grant's own grantee are confirmed as they
were recorded; those recorded by staff become pending until the grantee or another officer
confirms them (a tranche requested for them is approved only once they are). Milestones and
holds known before have no `verified_by` / `resolved_by`: who did it is unknown, nothing is
refused on that ground.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_duties"
down_revision: str | None = "0004_batches"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("payees") as batch:
        batch.add_column(sa.Column("recorded_as", sa.String(length=8), nullable=False, server_default="staff"))
        batch.add_column(sa.Column("confirmed_by", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE payees SET recorded_as = 'grantee', confirmed_by = recorded_by, confirmed_at = recorded_at "
        "WHERE recorded_by = (SELECT applicant_id FROM grants WHERE grants.id = payees.grant_id)"
    )
    with op.batch_alter_table("verified_milestones") as batch:
        batch.add_column(sa.Column("verified_by", sa.Uuid(), nullable=True))
    with op.batch_alter_table("holds") as batch:
        batch.add_column(sa.Column("resolved_by", sa.Uuid(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("holds") as batch:
        batch.drop_column("resolved_by")
    with op.batch_alter_table("verified_milestones") as batch:
        batch.drop_column("verified_by")
    with op.batch_alter_table("payees") as batch:
        batch.drop_column("confirmed_at")
        batch.drop_column("confirmed_by")
        batch.drop_column("recorded_as")
