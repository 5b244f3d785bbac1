package lint

import (
	"context"
	"fmt"
	"testing"
	"testing/fstest"
	"time"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/pgtest"
	"github.com/lsos/lsosgov/migrate"
)

// baseSQL is the first version of every corpus directory: the "existing" schema.
const baseSQL = `CREATE TABLE tenants (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL);
CREATE TABLE accounts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES tenants (id),
  email text NOT NULL,
  UNIQUE (tenant_id, email),
  UNIQUE (tenant_id, id));
CREATE TABLE projects (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id bigint NOT NULL REFERENCES tenants (id),
  title text NOT NULL,
  status varchar(20) NOT NULL DEFAULT 'new',
  budget numeric(10,2),
  legacy_code text,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, id));
CREATE INDEX projects_created_idx ON projects (created_at);
CREATE TABLE ranking_snapshots (tenant_id bigint NOT NULL REFERENCES tenants (id), keyword text NOT NULL, captured_on date NOT NULL)
  PARTITION BY RANGE (captured_on);
CREATE TABLE ranking_snapshots_2026_01 PARTITION OF ranking_snapshots FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
CREATE INDEX ranking_snapshots_tenant_idx ON ranking_snapshots (tenant_id, captured_on);
INSERT INTO tenants (name) VALUES ('acme');
INSERT INTO projects (tenant_id, title) VALUES (1, 'launch');
`

const (
	baseVersion = "20260101000000"
	baseName    = baseVersion + "_base.up.sql"
)

// corpusNow is the review clock of the corpus.
var corpusNow = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

// mig is one version of a test directory.
type mig struct {
	version, name, up, down string
	noDown                  bool
}

// dirCase describes a directory to review.
type dirCase struct {
	migs      []mig
	approvals string // approvals.yaml; "-" for none; "" grants every role to every version
	tamper    bool   // edit the base file after hashing
	unhashed  bool   // add the last version after hashing
	policy    func(*governance.Policy)
}

var allRoles = "[backend-owner, platform-owner, security-review, legal-compliance-review]"

// buildDir assembles the directory of c: base + c.migs, with atlas.sum and approvals.
func buildDir(t testing.TB, c dirCase) *migrate.Dir {
	t.Helper()
	fsys := fstest.MapFS{}
	put := func(name, body string) { fsys[name] = &fstest.MapFile{Data: []byte(body)} }
	put(baseName, baseSQL)
	put(baseVersion+"_base.down.sql", "DROP TABLE ranking_snapshots, projects, accounts, tenants;\n")
	approvals := "approvals:\n"
	migs := c.migs
	var late *mig
	if c.unhashed && len(migs) > 0 {
		late = &migs[len(migs)-1]
		migs = migs[:len(migs)-1]
	}
	add := func(m mig) {
		base := m.version + "_" + m.name
		put(base+".up.sql", m.up)
		if !m.noDown {
			down := m.down
			if down == "" {
				down = "SELECT 1; -- undo\n"
			}
			put(base+".down.sql", down)
		}
		approvals += fmt.Sprintf("  %q: %s\n", m.version, allRoles)
	}
	for _, m := range migs {
		add(m)
	}
	d, err := LoadFS(fsys)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := HashDir(d)
	if err != nil {
		t.Fatal(err)
	}
	put("atlas.sum", string(sum))
	if late != nil {
		add(*late)
	}
	if c.tamper {
		put(baseName, baseSQL+"-- edited\n")
	}
	switch c.approvals {
	case "":
		put("approvals.yaml", approvals)
	case "-":
	default:
		put("approvals.yaml", c.approvals)
	}
	d, err = LoadFS(fsys)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// reviewCase reviews c after the base version on a fresh empty database.
func reviewCase(t testing.TB, c dirCase) *Report {
	t.Helper()
	p := governance.Default()
	if c.policy != nil {
		c.policy(p)
	}
	db := pgtest.DB(t, "", nil)
	// The corpus runs with the default classifier, the one Review and govctl use.
	rep, err := Review(context.Background(), db, buildDir(t, c), Options{
		Policy: p, Since: baseVersion, Now: func() time.Time { return corpusNow }})
	if err != nil {
		t.Fatalf("review: %v", err)
	}
	return rep
}
