# The sample LSOS schema (examples/lsos/migrations) as Atlas HCL, written by Atlas's
# postgres.MarshalHCL from the migrated schema, plus one column (locations.verified) and
# one index (locations_tenant_name_idx). TestPlanHCLMatchesSQL plans it and the
# equivalent SQL and expects the same files.
table "audit_log" {
  schema = schema.public
  column "id" {
    null = false
    type = bigint
    identity {
      generated = ALWAYS
    }
  }
  column "tenant_id" {
    null = false
    type = bigint
  }
  column "actor_user_id" {
    null = true
    type = bigint
  }
  column "action" {
    null = false
    type = text
  }
  column "target" {
    null = true
    type = text
  }
  column "ip_address" {
    null = true
    type = inet
  }
  column "occurred_at" {
    null    = false
    type    = timestamptz
    default = sql("now()")
  }
  column "details" {
    null = true
    type = jsonb
  }
  primary_key {
    columns = [column.id]
  }
  foreign_key "audit_log_tenant_id_actor_user_id_fkey" {
    columns     = [column.tenant_id, column.actor_user_id]
    ref_columns = [table.users.column.tenant_id, table.users.column.id]
    on_update   = NO_ACTION
    on_delete   = NO_ACTION
  }
  foreign_key "audit_log_tenant_id_fkey" {
    columns     = [column.tenant_id]
    ref_columns = [table.tenants.column.id]
    on_update   = NO_ACTION
    on_delete   = NO_ACTION
  }
  index "audit_log_occurred_at_idx" {
    columns = [column.occurred_at]
  }
  index "audit_log_tenant_actor_idx" {
    columns = [column.tenant_id, column.actor_user_id]
  }
}
table "auth_tokens" {
  schema = schema.public
  column "id" {
    null = false
    type = bigint
    identity {
      generated = ALWAYS
    }
  }
  column "tenant_id" {
    null = false
    type = bigint
  }
  column "user_id" {
    null = false
    type = bigint
  }
  column "token_hash" {
    null = false
    type = text
  }
  column "expires_at" {
    null = false
    type = timestamptz
  }
  column "created_at" {
    null    = false
    type    = timestamptz
    default = sql("now()")
  }
  primary_key {
    columns = [column.id]
  }
  foreign_key "auth_tokens_tenant_id_fkey" {
    columns     = [column.tenant_id]
    ref_columns = [table.tenants.column.id]
    on_update   = NO_ACTION
    on_delete   = NO_ACTION
  }
  foreign_key "auth_tokens_tenant_id_user_id_fkey" {
    columns     = [column.tenant_id, column.user_id]
    ref_columns = [table.users.column.tenant_id, table.users.column.id]
    on_update   = NO_ACTION
    on_delete   = NO_ACTION
  }
  index "auth_tokens_tenant_user_idx" {
    columns = [column.tenant_id, column.user_id]
  }
  unique "auth_tokens_tenant_id_token_hash_key" {
    columns = [column.tenant_id, column.token_hash]
  }
}
table "branding_assets" {
  schema  = schema.public
  comment = "Logos and colours shown on white-label reports. lsos:class=artifact"
  column "id" {
    null = false
    type = bigint
    identity {
      generated = ALWAYS
    }
  }
  column "tenant_id" {
    null = false
    type = bigint
  }
  column "kind" {
    null = false
    type = text
  }
  column "object_url" {
    null = false
    type = text
  }
  column "checksum" {
    null = false
    type = text
  }
  column "created_at" {
    null    = false
    type    = timestamptz
    default = sql("now()")
  }
  primary_key {
    columns = [column.id]
  }
  foreign_key "branding_assets_tenant_id_fkey" {
    columns     = [column.tenant_id]
    ref_columns = [table.tenants.column.id]
    on_update   = NO_ACTION
    on_delete   = NO_ACTION
  }
  unique "branding_assets_tenant_id_kind_key" {
    columns = [column.tenant_id, column.kind]
  }
}
table "campaigns" {
  schema = schema.public
  column "id" {
    null = false
    type = bigint
    identity {
      generated = ALWAYS
    }
  }
  column "tenant_id" {
    null = false
    type = bigint
  }
  column "location_id" {
    null = false
    type = bigint
  }
  column "name" {
    null = false
    type = text
  }
  column "status" {
    null    = false
    type    = text
    default = "active"
  }
  column "starts_on" {
    null = false
    type = date
  }
  column "budget" {
    null = true
    type = numeric(12,2)
  }
  column "created_at" {
    null    = false
    type    = timestamptz
    default = sql("now()")
  }
  primary_key {
    columns = [column.id]
  }
  foreign_key "campaigns_tenant_id_fkey" {
    columns     = [column.tenant_id]
    ref_columns = [table.tenants.column.id]
    on_update   = NO_ACTION
    on_delete   = NO_ACTION
  }
  foreign_key "campaigns_tenant_id_location_id_fkey" {
    columns     = [column.tenant_id, column.location_id]
    ref_columns = [table.locations.column.tenant_id, table.locations.column.id]
    on_update   = NO_ACTION
    on_delete   = NO_ACTION
  }
  index "campaigns_tenant_location_idx" {
    columns = [column.tenant_id, column.location_id]
  }
  unique "campaigns_tenant_id_id_key" {
    columns = [column.tenant_id, column.id]
  }
}
table "crawl_outputs" {
  schema = schema.public
  column "tenant_id" {
    null = false
    type = bigint
  }
  column "location_id" {
    null = false
    type = bigint
  }
  column "url" {
    null = false
    type = text
  }
  column "crawled_on" {
    null = false
    type = date
  }
  column "status_code" {
    null = false
    type = integer
  }
  column "title" {
    null = true
    type = text
  }
  column "body_bytes" {
    null = true
    type = integer
  }
  column "content_hash" {
    null = true
    type = bytea
  }
  primary_key {
    columns = [column.tenant_id, column.location_id, column.url, column.crawled_on]
  }
  foreign_key "crawl_outputs_tenant_id_fkey" {
    columns     = [column.tenant_id]
    ref_columns = [table.tenants.column.id]
    on_update   = NO_ACTION
    on_delete   = NO_ACTION
  }
  foreign_key "crawl_outputs_tenant_id_location_id_fkey" {
    columns     = [column.tenant_id, column.location_id]
    ref_columns = [table.locations.column.tenant_id, table.locations.column.id]
    on_update   = NO_ACTION
    on_delete   = NO_ACTION
  }
  partition {
    type    = RANGE
    columns = [column.crawled_on]
  }
}
table "delivery_log" {
  schema = schema.public
  column "id" {
    null = false
    type = bigint
    identity {
      generated = ALWAYS
    }
  }
  column "tenant_id" {
    null = false
    type = bigint
  }
  column "report_file_id" {
    null = true
    type = bigint
  }
  column "channel" {
    null = false
    type = text
  }
  column "recipient_email" {
    null = false
    type = text
  }
  column "status" {
    null = false
    type = text
  }
  column "sent_at" {
    null = false
    type = timestamptz
  }
  primary_key {
    columns = [column.id]
  }
  foreign_key "delivery_log_tenant_id_fkey" {
    columns     = [column.tenant_id]
    ref_columns = [table.tenants.column.id]
    on_update   = NO_ACTION
    on_delete   = NO_ACTION
  }
  foreign_key "delivery_log_tenant_id_report_file_id_fkey" {
    columns     = [column.tenant_id, column.report_file_id]
    ref_columns = [table.report_files.column.tenant_id, table.report_files.column.id]
    on_update   = NO_ACTION
    on_delete   = NO_ACTION
  }
  index "delivery_log_sent_at_idx" {
    columns = [column.sent_at]
  }
  index "delivery_log_tenant_report_idx" {
    columns = [column.tenant_id, column.report_file_id]
  }
}
table "keywords" {
  schema = schema.public
  column "id" {
    null = false
    type = bigint
    identity {
      generated = ALWAYS
    }
  }
  column "tenant_id" {
    null = false
    type = bigint
  }
  column "campaign_id" {
    null = false
    type = bigint
  }
  column "phrase" {
    null = false
    type = text
  }
  column "search_engine" {
    null    = false
    type    = text
    default = "google"
  }
  column "created_at" {
    null    = false
    type    = timestamptz
    default = sql("now()")
  }
  primary_key {
    columns = [column.id]
  }
  foreign_key "keywords_tenant_id_campaign_id_fkey" {
    columns     = [column.tenant_id, column.campaign_id]
    ref_columns = [table.campaigns.column.tenant_id, table.campaigns.column.id]
    on_update   = NO_ACTION
    on_delete   = NO_ACTION
  }
  foreign_key "keywords_tenant_id_fkey" {
    columns     = [column.tenant_id]
    ref_columns = [table.tenants.column.id]
    on_update   = NO_ACTION
    on_delete   = NO_ACTION
  }
  unique "keywords_tenant_id_campaign_id_phrase_search_engine_key" {
    columns = [column.tenant_id, column.campaign_id, column.phrase, column.search_engine]
  }
  unique "keywords_tenant_id_id_key" {
    columns = [column.tenant_id, column.id]
  }
}
table "locations" {
  schema = schema.public
  column "id" {
    null = false
    type = bigint
    identity {
      generated = ALWAYS
    }
  }
  column "tenant_id" {
    null = false
    type = bigint
  }
  column "name" {
    null = false
    type = text
  }
  column "address" {
    null = true
    type = text
  }
  column "phone" {
    null = true
    type = text
  }
  column "latitude" {
    null = true
    type = numeric(9,6)
  }
  column "longitude" {
    null = true
    type = numeric(9,6)
  }
  # Added by the desired schema: not in any migration yet.
  column "verified" {
    null    = false
    type    = boolean
    default = false
  }
  column "created_at" {
    null    = false
    type    = timestamptz
    default = sql("now()")
  }
  primary_key {
    columns = [column.id]
  }
  foreign_key "locations_tenant_id_fkey" {
    columns     = [column.tenant_id]
    ref_columns = [table.tenants.column.id]
    on_update   = NO_ACTION
    on_delete   = NO_ACTION
  }
  # Added by the desired schema: not in any migration yet.
  index "locations_tenant_name_idx" {
    columns = [column.tenant_id, column.name]
  }
  unique "locations_tenant_id_id_key" {
    columns = [column.tenant_id, column.id]
  }
}
table "ranking_snapshots" {
  schema = schema.public
  column "tenant_id" {
    null = false
    type = bigint
  }
  column "keyword_id" {
    null = false
    type = bigint
  }
  column "captured_on" {
    null = false
    type = date
  }
  column "position" {
    null = true
    type = integer
  }
  column "url" {
    null = true
    type = text
  }
  column "serp_features" {
    null = true
    type = jsonb
  }
  primary_key {
    columns = [column.tenant_id, column.keyword_id, column.captured_on]
  }
  foreign_key "ranking_snapshots_tenant_id_fkey" {
    columns     = [column.tenant_id]
    ref_columns = [table.tenants.column.id]
    on_update   = NO_ACTION
    on_delete   = NO_ACTION
  }
  foreign_key "ranking_snapshots_tenant_id_keyword_id_fkey" {
    columns     = [column.tenant_id, column.keyword_id]
    ref_columns = [table.keywords.column.tenant_id, table.keywords.column.id]
    on_update   = NO_ACTION
    on_delete   = NO_ACTION
  }
  partition {
    type    = RANGE
    columns = [column.captured_on]
  }
}
table "report_files" {
  schema = schema.public
  column "id" {
    null = false
    type = bigint
    identity {
      generated = ALWAYS
    }
  }
  column "tenant_id" {
    null = false
    type = bigint
  }
  column "campaign_id" {
    null = false
    type = bigint
  }
  column "object_key" {
    null = false
    type = text
  }
  column "content_type" {
    null = false
    type = text
  }
  column "size_bytes" {
    null = false
    type = bigint
  }
  column "created_at" {
    null    = false
    type    = timestamptz
    default = sql("now()")
  }
  primary_key {
    columns = [column.id]
  }
  foreign_key "report_files_tenant_id_campaign_id_fkey" {
    columns     = [column.tenant_id, column.campaign_id]
    ref_columns = [table.campaigns.column.tenant_id, table.campaigns.column.id]
    on_update   = NO_ACTION
    on_delete   = NO_ACTION
  }
  foreign_key "report_files_tenant_id_fkey" {
    columns     = [column.tenant_id]
    ref_columns = [table.tenants.column.id]
    on_update   = NO_ACTION
    on_delete   = NO_ACTION
  }
  index "report_files_tenant_campaign_idx" {
    columns = [column.tenant_id, column.campaign_id]
  }
  unique "report_files_tenant_id_id_key" {
    columns = [column.tenant_id, column.id]
  }
  unique "report_files_tenant_id_object_key_key" {
    columns = [column.tenant_id, column.object_key]
  }
}
table "report_summaries" {
  schema = schema.public
  column "tenant_id" {
    null = false
    type = bigint
  }
  column "campaign_id" {
    null = false
    type = bigint
  }
  column "month" {
    null = false
    type = date
  }
  column "avg_position" {
    null = true
    type = numeric(6,2)
  }
  column "keywords_tracked" {
    null = false
    type = integer
  }
  primary_key {
    columns = [column.tenant_id, column.campaign_id, column.month]
  }
  foreign_key "report_summaries_tenant_id_campaign_id_fkey" {
    columns     = [column.tenant_id, column.campaign_id]
    ref_columns = [table.campaigns.column.tenant_id, table.campaigns.column.id]
    on_update   = NO_ACTION
    on_delete   = NO_ACTION
  }
  foreign_key "report_summaries_tenant_id_fkey" {
    columns     = [column.tenant_id]
    ref_columns = [table.tenants.column.id]
    on_update   = NO_ACTION
    on_delete   = NO_ACTION
  }
}
table "reviews" {
  schema = schema.public
  column "id" {
    null = false
    type = bigint
    identity {
      generated = ALWAYS
    }
  }
  column "tenant_id" {
    null = false
    type = bigint
  }
  column "location_id" {
    null = false
    type = bigint
  }
  column "source" {
    null = false
    type = text
  }
  column "external_id" {
    null = false
    type = text
  }
  column "rating" {
    null = false
    type = smallint
  }
  column "author_name" {
    null = true
    type = text
  }
  column "body" {
    null = true
    type = text
  }
  column "published_at" {
    null = false
    type = timestamptz
  }
  primary_key {
    columns = [column.id]
  }
  foreign_key "reviews_tenant_id_fkey" {
    columns     = [column.tenant_id]
    ref_columns = [table.tenants.column.id]
    on_update   = NO_ACTION
    on_delete   = NO_ACTION
  }
  foreign_key "reviews_tenant_id_location_id_fkey" {
    columns     = [column.tenant_id, column.location_id]
    ref_columns = [table.locations.column.tenant_id, table.locations.column.id]
    on_update   = NO_ACTION
    on_delete   = NO_ACTION
  }
  index "reviews_tenant_location_idx" {
    columns = [column.tenant_id, column.location_id]
  }
  index "reviews_tenant_published_idx" {
    columns = [column.tenant_id, column.published_at]
  }
  check "reviews_rating_check" {
    expr = "((rating >= 1) AND (rating <= 5))"
  }
  unique "reviews_tenant_id_source_external_id_key" {
    columns = [column.tenant_id, column.source, column.external_id]
  }
}
table "tenants" {
  schema = schema.public
  column "id" {
    null = false
    type = bigint
    identity {
      generated = ALWAYS
    }
  }
  column "name" {
    null = false
    type = text
  }
  column "plan" {
    null    = false
    type    = text
    default = "standard"
  }
  column "status" {
    null    = false
    type    = text
    default = "active"
  }
  column "created_at" {
    null    = false
    type    = timestamptz
    default = sql("now()")
  }
  column "deleted_at" {
    null = true
    type = timestamptz
  }
  primary_key {
    columns = [column.id]
  }
}
table "users" {
  schema = schema.public
  column "id" {
    null = false
    type = bigint
    identity {
      generated = ALWAYS
    }
  }
  column "tenant_id" {
    null = false
    type = bigint
  }
  column "email" {
    null = false
    type = text
  }
  column "password_hash" {
    null = false
    type = text
  }
  column "full_name" {
    null    = true
    type    = text
    comment = "Display name of a person. lsos:class=sensitive"
  }
  column "last_login_ip" {
    null = true
    type = inet
  }
  column "created_at" {
    null    = false
    type    = timestamptz
    default = sql("now()")
  }
  primary_key {
    columns = [column.id]
  }
  foreign_key "users_tenant_id_fkey" {
    columns     = [column.tenant_id]
    ref_columns = [table.tenants.column.id]
    on_update   = NO_ACTION
    on_delete   = NO_ACTION
  }
  unique "users_tenant_id_email_key" {
    columns = [column.tenant_id, column.email]
  }
  unique "users_tenant_id_id_key" {
    columns = [column.tenant_id, column.id]
  }
}
schema "public" {
  comment = "standard public schema"
}
