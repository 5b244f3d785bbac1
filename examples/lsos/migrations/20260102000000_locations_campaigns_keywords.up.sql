-- The local-SEO core: a tenant's business locations, its campaigns and tracked keywords.
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
);

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
);
CREATE INDEX campaigns_tenant_location_idx ON campaigns (tenant_id, location_id);

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
);
