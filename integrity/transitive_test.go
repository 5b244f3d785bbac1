package integrity

import (
	"slices"
	"strings"
	"testing"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/pgtest"
)

// compositeSchema is the idiomatic multi-tenant pattern: only users references tenants
// directly; every table below it carries tenant_id through a composite FK to its parent
// (tenant_id, id), four levels deep, the last one partitioned, plus a nullable
// self-reference. Every child's tenant_id is enforced transitively.
const compositeSchema = `
CREATE TABLE tenants (id bigint PRIMARY KEY);
CREATE TABLE users (id bigint PRIMARY KEY, tenant_id bigint NOT NULL REFERENCES tenants (id), UNIQUE (tenant_id, id));
CREATE TABLE projects (id bigint PRIMARY KEY, tenant_id bigint NOT NULL, user_id bigint NOT NULL, UNIQUE (tenant_id, id),
  CONSTRAINT projects_user_fk FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id));
CREATE TABLE tasks (id bigint PRIMARY KEY, tenant_id bigint NOT NULL, project_id bigint NOT NULL, parent_task_id bigint,
  UNIQUE (tenant_id, id),
  CONSTRAINT tasks_project_fk FOREIGN KEY (tenant_id, project_id) REFERENCES projects (tenant_id, id),
  FOREIGN KEY (tenant_id, parent_task_id) REFERENCES tasks (tenant_id, id));
CREATE TABLE task_events (tenant_id bigint NOT NULL, task_id bigint NOT NULL, at date NOT NULL,
  FOREIGN KEY (tenant_id, task_id) REFERENCES tasks (tenant_id, id)) PARTITION BY RANGE (at);
CREATE TABLE task_events_2026 PARTITION OF task_events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
INSERT INTO tenants VALUES (1), (2);
INSERT INTO users VALUES (10, 1), (20, 2);
INSERT INTO projects VALUES (100, 1, 10), (200, 2, 20);
INSERT INTO tasks VALUES (1000, 1, 100, NULL), (1001, 1, 100, 1000), (2000, 2, 200, NULL);
INSERT INTO task_events VALUES (1, 1000, '2026-03-01'), (2, 2000, '2026-03-02');`

func compositeDB(t *testing.T, plant ...string) DB {
	t.Helper()
	db := pgtest.DB(t, "composite-tenant", pgtest.SQLSetup(compositeSchema))
	exec(t, db, plant...)
	return db
}

// The inferred tenant_id → tenants (id) of every table below users is enforced by the
// chain of composite FKs: no missing-fk, nothing for orphaned-rows to scan, and
// tenant isolation agrees.
func TestMissingFKTransitiveThroughCompositeFKs(t *testing.T) {
	db := compositeDB(t)
	fs := runChecks(t, db, governance.Default(), MissingFK{}, OrphanedRows{}, TenantIsolation{})
	if len(fs) != 0 {
		t.Fatalf("a clean composite-FK schema must give no finding; got:\n%s", render(fs))
	}
	// The relationships are found, and enforced through the chain.
	env, cat, err := (&Env{}).prepare(t.Context(), db, governance.Default())
	if err != nil {
		t.Fatal(err)
	}
	var chains []string
	for _, r := range criticalRelationships(cat, governance.Default(), env) {
		if !r.enforced() {
			t.Errorf("%s is not enforced", r.describe())
		}
		if r.Via != nil {
			chains = append(chains, r.object()+": "+r.describeVia())
		}
	}
	want := []string{
		"public.projects.tenant_id: projects_user_fk on public.projects, then users_tenant_id_fkey on public.users",
		"public.task_events.tenant_id: task_events_tenant_id_task_id_fkey on public.task_events, then tasks_project_fk on public.tasks, then projects_user_fk on public.projects, then users_tenant_id_fkey on public.users",
		"public.tasks.tenant_id: tasks_project_fk on public.tasks, then projects_user_fk on public.projects, then users_tenant_id_fkey on public.users",
	}
	if strings.Join(chains, "\n") != strings.Join(want, "\n") {
		t.Errorf("chains:\n%s\nwant:\n%s", strings.Join(chains, "\n"), strings.Join(want, "\n"))
	}
}

// Where the chain breaks, the tenant relationship is reported again.
func TestMissingFKBrokenChainIsReported(t *testing.T) {
	for name, tc := range map[string]struct {
		plant []string
		want  []string // objects of missing-fk findings
		says  string
	}{
		// A middle table's tenant_id has no FK to tenants: everything below it is loose.
		"middle table not tied to tenants": {
			plant: []string{`ALTER TABLE users DROP CONSTRAINT users_tenant_id_fkey`},
			want:  []string{"public.projects.tenant_id", "public.task_events.tenant_id", "public.tasks.tenant_id", "public.users.tenant_id"},
			says:  "has no foreign key",
		},
		// The FK to the parent does not carry tenant_id.
		"composite FK without tenant_id": {
			plant: []string{`ALTER TABLE tasks DROP CONSTRAINT tasks_project_fk`,
				`ALTER TABLE tasks ADD CONSTRAINT tasks_project_fk FOREIGN KEY (project_id) REFERENCES projects (id)`},
			want: []string{"public.task_events.tenant_id", "public.tasks.tenant_id"},
			says: `ADD FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants" ("id")`,
		},
		// MATCH SIMPLE does not check a row whose project_id is NULL, so its tenant_id
		// is not guaranteed.
		"nullable other column": {
			plant: []string{`ALTER TABLE tasks ALTER project_id DROP NOT NULL`},
			want:  []string{"public.task_events.tenant_id", "public.tasks.tenant_id"},
			says:  "has no foreign key",
		},
		// A NOT VALID link: reported, like the FK itself, with the constraint to validate.
		"NOT VALID link": {
			plant: []string{`ALTER TABLE projects DROP CONSTRAINT projects_user_fk`,
				`ALTER TABLE projects ADD CONSTRAINT projects_user_fk FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) NOT VALID`},
			want: []string{"public.projects.tenant_id", "public.projects.user_id", "public.task_events.tenant_id", "public.tasks.tenant_id"},
			says: `NOT VALID foreign key projects_user_fk`,
		},
	} {
		t.Run(name, func(t *testing.T) {
			db := compositeDB(t, tc.plant...)
			all := runChecks(t, db, governance.Default(), MissingFK{}, TenantIsolation{})
			fs := all.ByCheck(governance.CheckMissingFK)
			var got []string
			for _, f := range fs {
				got = append(got, f.Object)
				if f.Severity != governance.SeverityError || !strings.Contains(f.Message, tc.says) {
					t.Errorf("finding %s; want an error saying %q", f, tc.says)
				}
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Fatalf("missing-fk on %v; want %v; all:\n%s", got, tc.want, render(fs))
			}
			// Tenant isolation agrees on which tenant columns are loose.
			var loose, isolation []string
			for _, o := range tc.want {
				if strings.HasSuffix(o, ".tenant_id") {
					loose = append(loose, o)
				}
			}
			for _, f := range all.ByCheck(governance.CheckTenantIsolation) {
				if f.Code == CodeTenantNoRootFK {
					isolation = append(isolation, f.Object)
				}
			}
			slices.Sort(isolation)
			if strings.Join(isolation, " ") != strings.Join(loose, " ") {
				t.Errorf("tenant-isolation IN104 on %v; want %v", isolation, loose)
			}
		})
	}
}

// MATCH FULL checks every row with any referencing column set, so a nullable column
// does not break the chain; and a NOT VALID chain is scanned for orphans.
func TestMissingFKChainMatchFullAndOrphanScan(t *testing.T) {
	db := compositeDB(t, `ALTER TABLE tasks ALTER project_id DROP NOT NULL`,
		`ALTER TABLE tasks DROP CONSTRAINT tasks_project_fk`,
		`ALTER TABLE tasks ADD CONSTRAINT tasks_project_fk FOREIGN KEY (tenant_id, project_id) REFERENCES projects (tenant_id, id) MATCH FULL`)
	none(t, runChecks(t, db, governance.Default(), MissingFK{}), governance.CheckMissingFK)

	// Plant a project of a tenant that does not exist behind a NOT VALID FK: the tenant
	// relationship is scanned and the orphans found, naming the weak link.
	db = compositeDB(t, `ALTER TABLE projects DROP CONSTRAINT projects_user_fk`,
		`ALTER TABLE users DROP CONSTRAINT users_tenant_id_fkey`,
		`INSERT INTO users VALUES (30, 3)`,
		`ALTER TABLE users ADD CONSTRAINT users_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id) NOT VALID`,
		`INSERT INTO projects VALUES (300, 3, 30)`,
		`ALTER TABLE projects ADD CONSTRAINT projects_user_fk FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)`)
	fs := runChecks(t, db, governance.Default(), OrphanedRows{})
	f := wantWith(t, fs, governance.CheckOrphanedRows, "public.projects.tenant_id", "users_tenant_id_fkey is NOT VALID")
	if f.Count != 1 || !strings.Contains(f.Message, "enforced only through projects_user_fk on public.projects, then users_tenant_id_fkey on public.users") {
		t.Fatalf("got %s", f)
	}
}
