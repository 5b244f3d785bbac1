"""monthly-partitioned snapshot tables

Revision ID: 3c4d5e6f7a03
Revises: 2b3c4d5e6f02
Create Date: 2026-01-03 00:00:00.000000

Monthly-partitioned snapshot tables (policy §7). Partitions are created per month by
the loader or by partition maintenance; the parents carry the keys and FKs.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "3c4d5e6f7a03"
down_revision = "2b3c4d5e6f02"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ranking_snapshots",
        sa.Column("tenant_id", sa.BigInteger(), sa.ForeignKey("tenants.id"), nullable=False),
        sa.Column("keyword_id", sa.BigInteger(), nullable=False),
        sa.Column("captured_on", sa.Date(), nullable=False),
        sa.Column("position", sa.Integer()),
        sa.Column("url", sa.Text()),
        sa.Column("serp_features", postgresql.JSONB()),
        sa.PrimaryKeyConstraint("tenant_id", "keyword_id", "captured_on"),
        sa.ForeignKeyConstraint(["tenant_id", "keyword_id"], ["keywords.tenant_id", "keywords.id"]),
        postgresql_partition_by="RANGE (captured_on)",
    )
    op.execute(
        """
CREATE TABLE crawl_outputs (
    tenant_id     bigint  NOT NULL REFERENCES tenants (id),
    location_id   bigint  NOT NULL,
    url           text    NOT NULL,
    crawled_on    date    NOT NULL,
    status_code   integer NOT NULL,
    title         text,
    body_bytes    integer,
    content_hash  bytea,
    PRIMARY KEY (tenant_id, location_id, url, crawled_on),
    FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id)
) PARTITION BY RANGE (crawled_on)"""
    )


def downgrade() -> None:
    op.execute("DROP TABLE crawl_outputs")
    op.drop_table("ranking_snapshots")
