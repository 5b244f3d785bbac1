"""locations, campaigns and keywords

Revision ID: 2b3c4d5e6f02
Revises: 1a2b3c4d5e01
Create Date: 2026-01-02 00:00:00.000000

The local-SEO core: a tenant's business locations, its campaigns and tracked keywords.
Written as raw SQL through op.execute.
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = "2b3c4d5e6f02"
down_revision = "1a2b3c4d5e01"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
CREATE TABLE locations (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   bigint      NOT NULL REFERENCES tenants (id),
    name        text        NOT NULL,
    address     text,
    phone       text,
    latitude    numeric(9,6),
    longitude   numeric(9,6),
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, id)
)"""
    )
    op.execute(
        """
CREATE TABLE campaigns (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id    bigint        NOT NULL REFERENCES tenants (id),
    location_id  bigint        NOT NULL,
    name         text          NOT NULL,
    status       text          NOT NULL DEFAULT 'active',
    starts_on    date          NOT NULL,
    budget       numeric(12,2),
    created_at   timestamptz   NOT NULL DEFAULT now(),
    FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id),
    UNIQUE (tenant_id, id)
)"""
    )
    op.execute("CREATE INDEX campaigns_tenant_location_idx ON campaigns (tenant_id, location_id)")
    op.execute(
        """
CREATE TABLE keywords (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id      bigint      NOT NULL REFERENCES tenants (id),
    campaign_id    bigint      NOT NULL,
    phrase         text        NOT NULL,
    search_engine  text        NOT NULL DEFAULT 'google',
    created_at     timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (tenant_id, campaign_id) REFERENCES campaigns (tenant_id, id),
    UNIQUE (tenant_id, id),
    UNIQUE (tenant_id, campaign_id, phrase, search_engine)
)"""
    )


def downgrade() -> None:
    op.execute("DROP TABLE keywords")
    op.execute("DROP TABLE campaigns")
    op.execute("DROP TABLE locations")
