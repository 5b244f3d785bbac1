"""branding assets and reporting summaries

Revision ID: 5e6f7a8b9c05
Revises: 3c4d5e6f7a03
Create Date: 2026-01-05 00:00:00.000000

Branding assets (artifacts) and the aggregated monthly reporting summaries. Written on
a branch beside 4d5e6f7a8b04; 6f7a8b9c0d06 merges the two.
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "5e6f7a8b9c05"
down_revision = "3c4d5e6f7a03"
branch_labels = ("artifacts",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "branding_assets",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), primary_key=True),
        sa.Column("tenant_id", sa.BigInteger(), sa.ForeignKey("tenants.id"), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("object_url", sa.Text(), nullable=False),
        sa.Column("checksum", sa.Text(), nullable=False),
        sa.Column("created_at", sa.TIMESTAMP(timezone=True), nullable=False, server_default=sa.text("now()")),
        sa.UniqueConstraint("tenant_id", "kind"),
        comment="Logos and colours shown on white-label reports. lsos:class=artifact",
    )
    op.execute(
        """
CREATE TABLE report_summaries (
    tenant_id         bigint       NOT NULL REFERENCES tenants (id),
    campaign_id       bigint       NOT NULL,
    month             date         NOT NULL,
    avg_position      numeric(6,2),
    keywords_tracked  integer      NOT NULL,
    PRIMARY KEY (tenant_id, campaign_id, month),
    FOREIGN KEY (tenant_id, campaign_id) REFERENCES campaigns (tenant_id, id)
)"""
    )


def downgrade() -> None:
    op.execute("DROP TABLE report_summaries")
    op.drop_table("branding_assets")
