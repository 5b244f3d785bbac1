-- Branding assets (artifacts) and the aggregated monthly reporting summaries.
CREATE TABLE branding_assets (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id   bigint      NOT NULL REFERENCES tenants (id),
    kind        text        NOT NULL,
    object_url  text        NOT NULL,
    checksum    text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, kind)
);
COMMENT ON TABLE branding_assets IS 'Logos and colours shown on white-label reports. lsos:class=artifact';

CREATE TABLE report_summaries (
    tenant_id         bigint       NOT NULL REFERENCES tenants (id),
    campaign_id       bigint       NOT NULL,
    month             date         NOT NULL,
    avg_position      numeric(6,2),
    keywords_tracked  integer      NOT NULL,
    PRIMARY KEY (tenant_id, campaign_id, month),
    FOREIGN KEY (tenant_id, campaign_id) REFERENCES campaigns (tenant_id, id)
);
