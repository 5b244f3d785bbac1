-- lsos:no-transaction
-- Reports list a location's newest reviews; build the index without blocking writes.
CREATE INDEX CONCURRENTLY reviews_tenant_published_idx ON reviews (tenant_id, published_at);
