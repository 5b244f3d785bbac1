package integrity

import (
	"strings"
	"testing"

	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/pgtest"
)

func snapshotPolicy(table string, key ...string) *governance.Policy {
	p := governance.Default()
	p.Snapshots = []governance.SnapshotKey{{Table: table, Key: key}}
	return p
}

func TestDuplicatesPlainTable(t *testing.T) {
	db := pgtest.DB(t, "", nil)
	exec(t, db, `CREATE TABLE snaps (tenant_id bigint, k bigint, day date, v int)`,
		`INSERT INTO snaps VALUES (1, 1, '2026-01-01', 1), (1, 1, '2026-01-01', 2), (1, 1, '2026-01-01', 3),
			(1, 2, '2026-01-01', 1), (1, 2, '2026-01-01', 2),
			(1, NULL, '2026-01-01', 1), (1, NULL, '2026-01-01', 1),
			(2, 1, '2026-01-01', 1), (1, 1, '2026-01-02', 1)`)
	p := snapshotPolicy("snaps", "tenant_id", "k", "day")
	f := want(t, runChecks(t, db, p, DuplicateSnapshots{}), governance.CheckDuplicateSnapshots, "public.snaps")
	if f.Count != 3 || !strings.HasPrefix(f.Message, "2 value(s)") {
		t.Fatalf("got %s; want 2 repeated keys and 3 surplus rows (NULL keys never repeat)", f)
	}
	exec(t, db, `DELETE FROM snaps WHERE v > 1`)
	none(t, runChecks(t, db, p, DuplicateSnapshots{}), governance.CheckDuplicateSnapshots)
}

// Partitions with names needing quotes, a key including the partition column: one
// finding per partition with that partition's counts.
func TestDuplicatesPerPartitionQuoted(t *testing.T) {
	db := pgtest.DB(t, "", nil)
	exec(t, db, `CREATE SCHEMA "Snap Schema"`,
		`CREATE TABLE "Snap Schema"."Snap Shots" ("Tenant Id" bigint NOT NULL, "Key" text, "Day" date NOT NULL) PARTITION BY RANGE ("Day")`,
		`CREATE TABLE "Snap Schema"."Snap Shots ""Jan""" PARTITION OF "Snap Schema"."Snap Shots" FOR VALUES FROM ('2026-01-01') TO ('2026-02-01')`,
		`CREATE TABLE "Snap Schema"."snap feb" PARTITION OF "Snap Schema"."Snap Shots" FOR VALUES FROM ('2026-02-01') TO ('2026-03-01')`,
		`CREATE TABLE "Snap Schema"."snap mar" PARTITION OF "Snap Schema"."Snap Shots" FOR VALUES FROM ('2026-03-01') TO ('2026-04-01')`,
		`INSERT INTO "Snap Schema"."Snap Shots" VALUES
			(1, 'a', '2026-01-03'), (1, 'a', '2026-01-03'),
			(1, 'b', '2026-02-03'), (1, 'b', '2026-02-03'), (1, 'b', '2026-02-03'), (1, 'c', '2026-02-03'), (1, 'c', '2026-02-03'),
			(1, 'a', '2026-03-03'), (2, 'a', '2026-03-03')`)
	p := snapshotPolicy(`"Snap Schema"."Snap Shots"`, "Tenant Id", "Key", "Day")
	fs := runChecks(t, db, p, DuplicateSnapshots{})
	if jan := want(t, fs, governance.CheckDuplicateSnapshots, `Snap Schema.Snap Shots "Jan"`); jan.Count != 1 {
		t.Fatalf("January: %s; want 1 surplus row", jan)
	}
	if feb := want(t, fs, governance.CheckDuplicateSnapshots, `Snap Schema.snap feb`); feb.Count != 3 || !strings.HasPrefix(feb.Message, "2 value(s)") {
		t.Fatalf("February: %s; want 2 keys, 3 surplus rows", feb)
	}
	if len(fs) != 2 {
		t.Fatalf("March has no duplicates; got:\n%s", render(fs))
	}
}

// A key without the partition column can repeat across partitions: the table is
// checked as a whole.
func TestDuplicatesAcrossPartitions(t *testing.T) {
	db := pgtest.DB(t, "", nil)
	exec(t, db, `CREATE TABLE readings (tenant_id bigint NOT NULL, sensor text NOT NULL, at date NOT NULL) PARTITION BY RANGE (at)`,
		`CREATE TABLE readings_a PARTITION OF readings FOR VALUES FROM ('2026-01-01') TO ('2026-02-01')`,
		`CREATE TABLE readings_b PARTITION OF readings FOR VALUES FROM ('2026-02-01') TO ('2026-03-01')`,
		`INSERT INTO readings VALUES (1, 's1', '2026-01-02'), (1, 's1', '2026-02-02'), (1, 's2', '2026-02-02')`)
	f := want(t, runChecks(t, db, snapshotPolicy("readings", "tenant_id", "sensor"), DuplicateSnapshots{}),
		governance.CheckDuplicateSnapshots, "public.readings")
	if f.Count != 1 {
		t.Fatalf("got %s; want 1 surplus row across partitions", f)
	}
}

func TestDuplicatesPolicyKeyNamesMissingColumn(t *testing.T) {
	db := pgtest.DB(t, "", nil)
	exec(t, db, `CREATE TABLE snaps (tenant_id bigint)`)
	f := want(t, runChecks(t, db, snapshotPolicy("snaps", "tenant_id", "nope"), DuplicateSnapshots{}),
		governance.CheckDuplicateSnapshots, "public.snaps")
	if f.Severity != governance.SeverityWarning || !strings.Contains(f.Message, "column nope") {
		t.Fatalf("got %s", f)
	}
}
