package retention

import (
	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/sqlident"
)

// schemaPart names the package's SDK schema: p.SDKSchema(schemaPart) is Schema with the
// default sdk.prefix.
const schemaPart = "retention"

// Bookkeeping is the package's own tables (legal holds, offboarding state, deletion
// audit records) in the schema a policy names for them: the policy's sdk.prefix followed
// by "retention" ([governance.Policy.SDKSchema]), [Schema] (lsos_retention) with the
// default prefix, "ops_retention" with sdk.prefix ops_.
//
// Functions that take a policy ([NewOffboarder], [Sweep], [Eligibility],
// [InstallActiveViews]) use its schema; the ones that take none are Bookkeeping's
// methods, and the package-level functions of the same names ([Install], [AddHold],
// [ListHolds], [ReleaseHold], [HoldsBlocking], [HoldsBlockingName], [AuditRecords]) are
// those of For(nil), the default policy. The zero Bookkeeping is For(nil) too.
//
//	bk := retention.For(policy)
//	if err := bk.Install(ctx, pool); err != nil { … }  // ops_retention with sdk.prefix ops_
//	hold, err := bk.AddHold(ctx, pool, retention.HoldSpec{TenantID: "42", Reason: "litigation", By: "legal"})
type Bookkeeping struct {
	policy *governance.Policy
}

// For returns the bookkeeping of policy p (nil: governance.Default()).
func For(p *governance.Policy) Bookkeeping { return Bookkeeping{policy: p} }

// Schema returns the schema that holds the tables: p.SDKSchema("retention").
func (b Bookkeeping) Schema() string { return b.policy.SDKSchema(schemaPart) }

// table returns the quoted, schema-qualified name of one of the package's tables.
func (b Bookkeeping) table(name string) string {
	return sqlident.Name{Schema: b.Schema(), Name: name}.Quoted()
}
