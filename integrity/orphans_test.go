package integrity

import (
	"context"
	"strings"
	"testing"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/pgtest"
)

// quotedSchema has names that need quoting everywhere, a composite key, a NULL
// reference and a NOT VALID FK hiding two orphans.
const quotedSchema = `
CREATE SCHEMA "My Schema";
CREATE TABLE "My Schema"."Parent ""P"" Table" ("Tenant Id" bigint NOT NULL, "Id" bigint NOT NULL, PRIMARY KEY ("Tenant Id", "Id"));
CREATE TABLE "My Schema"."child rows" ("Row Id" bigint PRIMARY KEY, "Tenant Id" bigint NOT NULL, "Parent Id" bigint, note text);
INSERT INTO "My Schema"."Parent ""P"" Table" VALUES (1, 1), (1, 2), (2, 1);
INSERT INTO "My Schema"."child rows" VALUES
  (1, 1, 1, 'ok'), (2, 1, 2, 'ok'), (3, 2, 1, 'ok'),
  (4, 1, NULL, 'a NULL reference is not an orphan'),
  (6, 2, 2, 'orphan: tenant 2 has no parent 2, though tenant 1 does'),
  (7, 3, 1, 'orphan: no tenant 3 parent');
ALTER TABLE "My Schema"."child rows" ADD CONSTRAINT "fk ""quoted""" FOREIGN KEY ("Tenant Id", "Parent Id")
  REFERENCES "My Schema"."Parent ""P"" Table" NOT VALID;`

func TestOrphansQuotedCompositeNotValid(t *testing.T) {
	db := pgtest.DB(t, "quoted", pgtest.SQLSetup(quotedSchema))
	p := governance.Default()
	p.Tenant.Column = "Tenant Id"
	fs := runChecks(t, db, p, OrphanedRows{})
	f := want(t, fs, governance.CheckOrphanedRows, `My Schema.child rows.Parent Id`)
	if f.Count != 2 || !strings.Contains(f.Message, "(6), (7)") || !strings.Contains(f.Message, `fk "quoted" is NOT VALID`) {
		t.Fatalf("got %s; want 2 orphans with sample keys (6), (7)", f)
	}
	if strings.Contains(f.Message, "orphan:") {
		t.Fatalf("a finding must carry key columns only, not row values: %s", f)
	}
	// Fixing the data and validating the FK leaves nothing to scan or report.
	exec(t, db, `DELETE FROM "My Schema"."child rows" WHERE "Row Id" IN (6, 7)`,
		`ALTER TABLE "My Schema"."child rows" VALIDATE CONSTRAINT "fk ""quoted"""`)
	none(t, runChecks(t, db, p, OrphanedRows{}), governance.CheckOrphanedRows)
}

// A policy relationship without any FK, named with quoted identifiers, is checked with
// the tenant column added: (Tenant Id, Parent Id) → (Tenant Id, Id).
func TestOrphansPolicyRelationshipWithoutFK(t *testing.T) {
	db := pgtest.DB(t, "quoted", pgtest.SQLSetup(quotedSchema))
	exec(t, db, `ALTER TABLE "My Schema"."child rows" DROP CONSTRAINT "fk ""quoted"""`)
	p := governance.Default()
	p.Tenant.Column = "Tenant Id"
	p.Relationships = []governance.Relationship{{
		From: `"My Schema"."child rows"."Parent Id"`,
		To:   `"My Schema"."Parent ""P"" Table"."Id"`,
	}}
	fs := runChecks(t, db, p, MissingFK{}, OrphanedRows{})
	f := want(t, fs, governance.CheckOrphanedRows, `My Schema.child rows.Parent Id`)
	if f.Count != 2 || !strings.Contains(f.Message, "(Tenant Id, Parent Id)") {
		t.Fatalf("got %s; want 2 orphans over (Tenant Id, Parent Id)", f)
	}
	m := want(t, fs, governance.CheckMissingFK, `My Schema.child rows.Parent Id`)
	if !strings.Contains(m.Message, `ALTER TABLE "My Schema"."child rows" ADD FOREIGN KEY ("Tenant Id", "Parent Id") REFERENCES "My Schema"."Parent ""P"" Table" ("Tenant Id", "Id")`) {
		t.Fatalf("missing-fk should suggest the quoted DDL: %s", m)
	}
}

// A partitioned child without FK: the anti-join covers every partition.
func TestOrphansPartitionedChild(t *testing.T) {
	db := pgtest.DB(t, "", nil)
	exec(t, db, `CREATE TABLE parents (id bigint PRIMARY KEY)`,
		`CREATE TABLE events (parent_id bigint, day date NOT NULL, n int) PARTITION BY RANGE (day)`,
		`CREATE TABLE events_jan PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2026-02-01')`,
		`CREATE TABLE events_feb PARTITION OF events FOR VALUES FROM ('2026-02-01') TO ('2026-03-01')`,
		`INSERT INTO parents SELECT generate_series(1, 10)`,
		`INSERT INTO events VALUES (1, '2026-01-05', 1), (11, '2026-01-06', 2), (12, '2026-02-07', 3), (NULL, '2026-02-08', 4), (10, '2026-02-09', 5)`)
	p := governance.Default()
	p.Tenant.Global = []string{"parents", "events"}
	fs := runChecks(t, db, p, MissingFK{}, OrphanedRows{})
	f := want(t, fs, governance.CheckOrphanedRows, "public.events.parent_id")
	if f.Count != 2 {
		t.Fatalf("got %s; want 2 orphans across both partitions", f)
	}
	if !strings.Contains(f.Message, "first keys (parent_id): (11), (12)") {
		t.Fatalf("without a primary key the samples are the dangling references: %s", f)
	}
	want(t, fs, governance.CheckMissingFK, "public.events.parent_id") // inferred: parent_id → parents.id
}

// Batched scans give the same count as one statement, report resume keys, and resume.
func TestOrphansBatchedAndResumed(t *testing.T) {
	db := pgtest.DB(t, "", nil)
	exec(t, db, `CREATE TABLE owners (id bigint PRIMARY KEY)`,
		`CREATE TABLE pets (id bigint PRIMARY KEY, owner_id bigint)`,
		`INSERT INTO owners SELECT generate_series(1, 100)`,
		`INSERT INTO pets SELECT g, CASE WHEN g % 1000 = 7 THEN 100000 + g ELSE g % 100 + 1 END FROM generate_series(1, 10000) g`,
		`ALTER TABLE pets ADD FOREIGN KEY (owner_id) REFERENCES owners NOT VALID`)
	p := governance.Default()
	p.Tenant.Global = []string{"owners", "pets"}
	ctx := context.Background()
	whole, err := OrphanedRows{}.Run(ctx, db, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if f := want(t, whole, governance.CheckOrphanedRows, "public.pets.owner_id"); f.Count != 10 {
		t.Fatalf("unbatched: %s; want 10", f)
	}
	var events []Event
	batched, err := OrphanedRows{}.Run(ctx, db, p, &Env{BatchRows: 1000, Progress: func(e Event) {
		if e.ResumeKey != nil {
			events = append(events, e)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if f := want(t, batched, governance.CheckOrphanedRows, "public.pets.owner_id"); f.Count != 10 {
		t.Fatalf("batched: %s; want 10", f)
	}
	if len(events) != 10 || *events[4].ResumeKey != 5001 || events[4].Total != 10 {
		t.Fatalf("want 10 batch events, the fifth resuming at 5001; got %d: %+v", len(events), events)
	}
	resumed, err := OrphanedRows{}.Run(ctx, db, p, &Env{BatchRows: 1000, Resume: map[string]int64{"public.pets.owner_id": 5001}})
	if err != nil {
		t.Fatal(err)
	}
	if f := want(t, resumed, governance.CheckOrphanedRows, "public.pets.owner_id"); f.Count != 5 {
		t.Fatalf("resumed at 5001: %s; want the 5 orphans from id 5007 on", f)
	}
	// Past the stream cap the exact total comes from a count.
	defer func(c int64) { streamCap = c }(streamCap)
	streamCap = 3
	capped, err := OrphanedRows{}.Run(ctx, db, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if f := want(t, capped, governance.CheckOrphanedRows, "public.pets.owner_id"); f.Count != 10 || !strings.HasSuffix(f.Message, "first keys (id): (7), (1007), (2007)") {
		t.Fatalf("capped stream: %s; want 10 with the three streamed keys", f)
	}
}

// Keys whose names mark them sensitive are never sampled.
func TestOrphansNeverSampleSensitiveKeys(t *testing.T) {
	db := pgtest.DB(t, "", nil)
	exec(t, db, `CREATE TABLE accounts (id bigint PRIMARY KEY)`,
		`CREATE TABLE logins (email text PRIMARY KEY, account_id bigint)`,
		`INSERT INTO logins VALUES ('someone@example.com', 42)`)
	p := governance.Default()
	p.Tenant.Global = []string{"accounts", "logins"}
	f := want(t, runChecks(t, db, p, OrphanedRows{}), governance.CheckOrphanedRows, "public.logins.account_id")
	if f.Count != 1 || strings.Contains(f.Message, "example.com") || strings.Contains(f.Message, "first keys") {
		t.Fatalf("got %s; want a count without samples", f)
	}
}
