package governance

import (
	"strings"
)

// DefaultSDKPrefix starts the name of every schema the SDK creates for itself
// (lsos_migrate, lsos_retention, lsos_archive, lsos_integrity, lsos_active, …).
const DefaultSDKPrefix = "lsos_"

// SDKPolicy names the schemas that belong to the SDK itself: its revisions table, legal
// holds, offboarding state, archive catalog, integrity runs and helper views. Checks,
// classification, retention catalogs and the startup gates leave these out, so the
// SDK's own bookkeeping never shows up as a finding about the application's schema.
//
//	sdk:
//	  prefix: lsos_            # every schema the SDK creates starts with it
//	  schemas: [ops_migrate]   # further schemas that belong to the SDK
type SDKPolicy struct {
	// Prefix starts the name of every schema the SDK creates; default "lsos_".
	Prefix string `yaml:"prefix" json:"prefix"`
	// Schemas lists further schemas that belong to the SDK, such as a revisions schema
	// named outside the prefix (migrate Config.Schema "ops_migrate").
	Schemas []string `yaml:"schemas" json:"schemas,omitempty"`
	// Tables lists single tables ("schema.table") that belong to migration tooling
	// rather than to the application, such as Alembic's public.alembic_version.
	Tables []string `yaml:"tables" json:"tables,omitempty"`
}

// sdkPrefix returns the configured prefix, or the default for a zero policy.
func (p *Policy) sdkPrefix() string {
	if p == nil || p.SDK.Prefix == "" {
		return DefaultSDKPrefix
	}
	return p.SDK.Prefix
}

// SDKSchema returns the name of one of the SDK's own schemas: the prefix followed by
// part ("retention" → "lsos_retention").
func (p *Policy) SDKSchema(part string) string { return p.sdkPrefix() + part }

// IsSDKSchema reports whether schema belongs to the SDK: it starts with the SDK prefix
// or is listed in sdk.schemas. This is the one predicate every package uses to leave
// the SDK's own objects out of checks and catalogs. A nil policy uses the defaults.
func (p *Policy) IsSDKSchema(schema string) bool {
	if strings.HasPrefix(schema, p.sdkPrefix()) {
		return true
	}
	if p == nil {
		return false
	}
	for _, s := range p.SDK.Schemas {
		if s == schema {
			return true
		}
	}
	return false
}

// IsSDKObject reports whether a schema-qualified object ("schema.table" or
// "schema.table.column", as findings name objects) lives in one of the SDK's schemas.
// An unqualified name is never the SDK's.
func (p *Policy) IsSDKObject(object string) bool {
	schema, rest, ok := strings.Cut(object, ".")
	if !ok {
		return false
	}
	table, _, _ := strings.Cut(rest, ".")
	return p.IsSDKTable(schema, table)
}

// IsSDKTable reports whether schema.table belongs to the SDK or to migration tooling:
// its schema is the SDK's ([Policy.IsSDKSchema]) or sdk.tables lists it.
func (p *Policy) IsSDKTable(schema, table string) bool {
	if p.IsSDKSchema(schema) {
		return true
	}
	if p == nil {
		return false
	}
	for _, t := range p.SDK.Tables {
		if t == schema+"."+table {
			return true
		}
	}
	return false
}

// WithSDKTable returns a copy of p (the default policy when p is nil) in which
// schema.table belongs to migration tooling; p is returned unchanged when it already
// does. Startup's Alembic mode uses it for the alembic_version table.
func (p *Policy) WithSDKTable(schema, table string) *Policy {
	if p.IsSDKTable(schema, table) {
		if p == nil {
			return Default()
		}
		return p
	}
	var c Policy
	if p == nil {
		c = *Default()
	} else {
		c = *p
	}
	c.SDK.Tables = append(append([]string(nil), c.SDK.Tables...), schema+"."+table)
	return &c
}

// WithSDKSchema returns a copy of p (the default policy when p is nil) in which schema
// also belongs to the SDK; p is returned unchanged when it already does. Startup uses it
// for a revisions schema named outside the prefix.
func (p *Policy) WithSDKSchema(schema string) *Policy {
	if schema == "" || p.IsSDKSchema(schema) {
		if p == nil {
			return Default()
		}
		return p
	}
	var c Policy
	if p == nil {
		c = *Default()
	} else {
		c = *p
	}
	c.SDK.Schemas = append(append([]string(nil), c.SDK.Schemas...), schema)
	return &c
}
