-- lsos:no-transaction
DROP INDEX CONCURRENTLY reviews_tenant_published_idx;
