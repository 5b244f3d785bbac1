"""reviews, audit log and delivery log

Revision ID: 4d5e6f7a8b04
Revises: 3c4d5e6f7a03
Create Date: 2026-01-04 00:00:00.000000

Reviews of locations, the audit log of privileged actions and the report delivery log.
This revision and 5e6f7a8b9c05 were written on two branches from 3c4d5e6f7a03;
6f7a8b9c0d06 merges them.
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = "4d5e6f7a8b04"
down_revision = "3c4d5e6f7a03"
branch_labels = ("reviews",)
depends_on = None


def upgrade() -> None:
    op.execute(
        """
CREATE TABLE reviews (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id     bigint      NOT NULL REFERENCES tenants (id),
    location_id   bigint      NOT NULL,
    source        text        NOT NULL,
    external_id   text        NOT NULL,
    rating        smallint    NOT NULL CHECK (rating BETWEEN 1 AND 5),
    author_name   text,
    body          text,
    published_at  timestamptz NOT NULL,
    FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id),
    UNIQUE (tenant_id, source, external_id)
)"""
    )
    op.execute("CREATE INDEX reviews_tenant_location_idx ON reviews (tenant_id, location_id)")
    op.execute(
        """
CREATE TABLE audit_log (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id      bigint      NOT NULL REFERENCES tenants (id),
    actor_user_id  bigint,
    action         text        NOT NULL,
    target         text,
    ip_address     inet,
    occurred_at    timestamptz NOT NULL DEFAULT now(),
    details        jsonb,
    FOREIGN KEY (tenant_id, actor_user_id) REFERENCES users (tenant_id, id)
)"""
    )
    op.execute("CREATE INDEX audit_log_tenant_actor_idx ON audit_log (tenant_id, actor_user_id)")
    op.execute("CREATE INDEX audit_log_occurred_at_idx ON audit_log (occurred_at)")
    op.execute(
        """
CREATE TABLE report_files (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id     bigint      NOT NULL REFERENCES tenants (id),
    campaign_id   bigint      NOT NULL,
    object_key    text        NOT NULL,
    content_type  text        NOT NULL,
    size_bytes    bigint      NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (tenant_id, campaign_id) REFERENCES campaigns (tenant_id, id),
    UNIQUE (tenant_id, id),
    UNIQUE (tenant_id, object_key)
)"""
    )
    op.execute("CREATE INDEX report_files_tenant_campaign_idx ON report_files (tenant_id, campaign_id)")
    op.execute(
        """
CREATE TABLE delivery_log (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id        bigint      NOT NULL REFERENCES tenants (id),
    report_file_id   bigint,
    channel          text        NOT NULL,
    recipient_email  text        NOT NULL,
    status           text        NOT NULL,
    sent_at          timestamptz NOT NULL,
    FOREIGN KEY (tenant_id, report_file_id) REFERENCES report_files (tenant_id, id)
)"""
    )
    op.execute("CREATE INDEX delivery_log_tenant_report_idx ON delivery_log (tenant_id, report_file_id)")
    op.execute("CREATE INDEX delivery_log_sent_at_idx ON delivery_log (sent_at)")


def downgrade() -> None:
    op.execute("DROP TABLE delivery_log")
    op.execute("DROP TABLE report_files")
    op.execute("DROP TABLE audit_log")
    op.execute("DROP TABLE reviews")
