package integrity

import (
	"strings"
	"testing"
	"time"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/pgtest"
)

const tenantsDDL = `CREATE TABLE tenants (id bigint PRIMARY KEY, deleted_at timestamptz);`

func TestUnscopedUnique(t *testing.T) {
	db := pgtest.DB(t, "", nil)
	exec(t, db, tenantsDDL, `CREATE TABLE coupons (id bigint PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants,
		code text NOT NULL UNIQUE, slug text NOT NULL, label text NOT NULL, UNIQUE (tenant_id, slug))`,
		`CREATE UNIQUE INDEX coupons_label_lower ON coupons (lower(label))`,
		`CREATE TABLE plans (name text PRIMARY KEY)`)
	p := governance.Default()
	p.Tenant.Global = []string{"plans"}
	fs := runChecks(t, db, p, UnscopedUnique{})
	want(t, fs, governance.CheckUnscopedUnique, "public.coupons.code")
	if f := want(t, fs, governance.CheckUnscopedUnique, "public.coupons.(expression)"); !strings.Contains(f.Message, "coupons_label_lower") {
		t.Fatalf("got %s", f)
	}
	if len(fs) != 2 {
		t.Fatalf("the surrogate PK, the tenant-scoped key and the global table are exempt; got:\n%s", render(fs))
	}
	// A key the policy allows to be global is exempt.
	p.Tenant.GlobalKeys = []string{"coupons.code"}
	exec(t, db, `DROP INDEX coupons_label_lower`)
	none(t, runChecks(t, db, p, UnscopedUnique{}), governance.CheckUnscopedUnique)
}

func TestTenantIsolationThroughCompositeFK(t *testing.T) {
	db := pgtest.DB(t, "", nil)
	exec(t, db, tenantsDDL,
		`CREATE TABLE projects (id bigint PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants, UNIQUE (tenant_id, id))`,
		// tasks reaches the root only through the composite FK to projects.
		`CREATE TABLE tasks (id bigint PRIMARY KEY, tenant_id bigint NOT NULL, project_id bigint NOT NULL,
			FOREIGN KEY (tenant_id, project_id) REFERENCES projects (tenant_id, id))`)
	p := governance.Default()
	none(t, runChecks(t, db, p, TenantIsolation{}), governance.CheckTenantIsolation)
	// Cut projects from the root: both lose their anchor.
	exec(t, db, `ALTER TABLE projects DROP CONSTRAINT projects_tenant_id_fkey`)
	fs := runChecks(t, db, p, TenantIsolation{})
	for _, obj := range []string{"public.projects.tenant_id", "public.tasks.tenant_id"} {
		if f := want(t, fs, governance.CheckTenantIsolation, obj); f.Code != CodeTenantNoRootFK {
			t.Fatalf("got %s", f)
		}
	}
	// A NOT VALID FK does not anchor.
	exec(t, db, `ALTER TABLE projects ADD FOREIGN KEY (tenant_id) REFERENCES tenants NOT VALID`)
	want(t, runChecks(t, db, p, TenantIsolation{}), governance.CheckTenantIsolation, "public.tasks.tenant_id")
}

func TestFKMissingIndex(t *testing.T) {
	db := pgtest.DB(t, "", nil)
	exec(t, db, tenantsDDL,
		`CREATE TABLE a (tenant_id bigint NOT NULL REFERENCES tenants, id bigint NOT NULL, PRIMARY KEY (tenant_id, id))`,
		`CREATE TABLE b (id bigint PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants, a_id bigint,
			FOREIGN KEY (tenant_id, a_id) REFERENCES a)`,
		`CREATE INDEX b_partial ON b (tenant_id, a_id) WHERE a_id IS NOT NULL`)
	fs := runChecks(t, db, governance.Default(), FKMissingIndex{})
	// a is covered by its primary key; b's FKs only by a partial index, which does not count.
	want(t, fs, governance.CheckFKMissingIndex, "public.b.(tenant_id,a_id)")
	want(t, fs, governance.CheckFKMissingIndex, "public.b.tenant_id")
	if len(fs) != 2 {
		t.Fatalf("got:\n%s", render(fs))
	}
	// Leading columns in another order serve the FK.
	exec(t, db, `CREATE INDEX b_a ON b (a_id, tenant_id, id)`)
	fs = runChecks(t, db, governance.Default(), FKMissingIndex{})
	want(t, fs, governance.CheckFKMissingIndex, "public.b.tenant_id")
	exec(t, db, `CREATE INDEX b_t ON b (tenant_id)`)
	none(t, runChecks(t, db, governance.Default(), FKMissingIndex{}), governance.CheckFKMissingIndex)
}

func TestNotValidConstraint(t *testing.T) {
	db := pgtest.DB(t, "", nil)
	exec(t, db, `CREATE TABLE p (id bigint PRIMARY KEY)`, `CREATE TABLE c (id bigint PRIMARY KEY, p_id bigint)`,
		`ALTER TABLE c ADD CONSTRAINT c_p_fk FOREIGN KEY (p_id) REFERENCES p NOT VALID`)
	f := want(t, runChecks(t, db, governance.Default(), NotValidConstraint{}), governance.CheckNotValidConstraint, "public.c")
	if !strings.Contains(f.Message, `VALIDATE CONSTRAINT "c_p_fk"`) || f.Severity != governance.SeverityWarning {
		t.Fatalf("got %s", f)
	}
	exec(t, db, `ALTER TABLE c VALIDATE CONSTRAINT c_p_fk`)
	none(t, runChecks(t, db, governance.Default(), NotValidConstraint{}), governance.CheckNotValidConstraint)
}

func TestInvalidIndexOnPartitionedTable(t *testing.T) {
	db := pgtest.DB(t, "", nil)
	exec(t, db, `CREATE TABLE m (id bigint NOT NULL, day date NOT NULL) PARTITION BY RANGE (day)`,
		`CREATE TABLE m_1 PARTITION OF m FOR VALUES FROM ('2026-01-01') TO ('2026-02-01')`)
	none(t, runChecks(t, db, governance.Default(), InvalidIndex{}), governance.CheckInvalidIndex)
	// ON ONLY leaves the parent index invalid until every partition's index is attached.
	exec(t, db, `CREATE INDEX m_id ON ONLY m (id)`)
	f := want(t, runChecks(t, db, governance.Default(), InvalidIndex{}), governance.CheckInvalidIndex, "public.m")
	if !strings.Contains(f.Message, "ATTACH PARTITION") {
		t.Fatalf("got %s", f)
	}
	exec(t, db, `CREATE INDEX m_1_id ON m_1 (id)`, `ALTER INDEX m_id ATTACH PARTITION m_1_id`)
	none(t, runChecks(t, db, governance.Default(), InvalidIndex{}), governance.CheckInvalidIndex)
}

func TestMissingPartition(t *testing.T) {
	db := pgtest.DB(t, "", nil)
	exec(t, db, `CREATE TABLE ev (at timestamptz NOT NULL, n int) PARTITION BY RANGE (at)`,
		`CREATE TABLE ev_2026_03 PARTITION OF ev FOR VALUES FROM ('2026-03-01 00:00+00') TO ('2026-04-01 00:00+00')`,
		`CREATE TABLE by_list (k text NOT NULL) PARTITION BY LIST (k)`)
	p := governance.Default()
	at := func(s string) MissingPartition {
		tm, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return MissingPartition{Now: func() time.Time { return tm }}
	}
	fs := runChecks(t, db, p, at("2026-03-15"))
	if f := want(t, fs, governance.CheckMissingPartition, "public.ev"); !strings.Contains(f.Message, "next month 2026-04") {
		t.Fatalf("got %s", f)
	}
	fs = runChecks(t, db, p, at("2026-02-10"))
	if f := want(t, fs, governance.CheckMissingPartition, "public.ev"); !strings.Contains(f.Message, "current month 2026-02") {
		t.Fatalf("got %s", f)
	}
	// April in two halves: the union covers the month.
	exec(t, db, `CREATE TABLE ev_a1 PARTITION OF ev FOR VALUES FROM ('2026-04-01 00:00+00') TO ('2026-04-16 00:00+00')`,
		`CREATE TABLE ev_a2 PARTITION OF ev FOR VALUES FROM ('2026-04-16 00:00+00') TO ('2026-05-01 00:00+00')`)
	none(t, runChecks(t, db, p, at("2026-03-15")), governance.CheckMissingPartition)
	// The month is computed in the policy's zone: at 2026-04-30 23:00 UTC it is May in Berlin.
	p.TimeZone = "Europe/Berlin"
	late := MissingPartition{Now: func() time.Time { return time.Date(2026, 4, 30, 23, 0, 0, 0, time.UTC) }}
	wantWith(t, runChecks(t, db, p, late), governance.CheckMissingPartition, "public.ev", "current month 2026-05")
	// A default partition takes any month.
	exec(t, db, `CREATE TABLE ev_default PARTITION OF ev DEFAULT`)
	none(t, runChecks(t, db, p, at("2027-01-01")), governance.CheckMissingPartition)
}
