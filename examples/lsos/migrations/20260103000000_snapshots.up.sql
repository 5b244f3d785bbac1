-- Monthly-partitioned snapshot tables (policy §7). Partitions are created per month by
-- the loader or by partition maintenance; the parents carry the keys and FKs.
CREATE TABLE ranking_snapshots (
    tenant_id      bigint  NOT NULL REFERENCES tenants (id),
    keyword_id     bigint  NOT NULL,
    captured_on    date    NOT NULL,
    position       integer,
    url            text,
    serp_features  jsonb,
    PRIMARY KEY (tenant_id, keyword_id, captured_on),
    FOREIGN KEY (tenant_id, keyword_id) REFERENCES keywords (tenant_id, id)
) PARTITION BY RANGE (captured_on);

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
) PARTITION BY RANGE (crawled_on);
