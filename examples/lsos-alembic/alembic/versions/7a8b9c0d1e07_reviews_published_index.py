"""index reviews by publication time

Revision ID: 7a8b9c0d1e07
Revises: 6f7a8b9c0d06
Create Date: 2026-01-06 00:00:00.000000

Reports list a location's newest reviews; build the index without blocking writes.
# lsos:no-transaction
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = "7a8b9c0d1e07"
down_revision = "6f7a8b9c0d06"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # lsos:lock_timeout 5s
    with op.get_context().autocommit_block():
        op.execute(
            "CREATE INDEX CONCURRENTLY reviews_tenant_published_idx"
            " ON reviews (tenant_id, published_at)"
        )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.execute("DROP INDEX CONCURRENTLY reviews_tenant_published_idx")
