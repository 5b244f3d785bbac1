package lint

import (
	"context"
	"testing"

	"github.com/lsos/lsosgov/internal/pgtest"
)

// An index with another collation serves other lookups (LIKE 'x%', ORDER BY under that
// collation): it is neither redundant with nor made redundant by a default-collation one.
func TestRedundancyIgnoresCollation(t *testing.T) {
	cases := map[string]dirCase{
		"new C-collated prefix of existing": {migs: two(
			"CREATE INDEX projects_title_status_idx ON projects (title, status);",
			"-- lsos:no-transaction\nCREATE INDEX CONCURRENTLY projects_title_c_idx ON projects (title COLLATE \"C\");")},
		"existing C-collated made redundant": {migs: two(
			"CREATE INDEX projects_title_c_idx ON projects (title COLLATE \"C\");",
			"-- lsos:no-transaction\nCREATE INDEX CONCURRENTLY projects_title_status_idx ON projects (title, status);")},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			rep := reviewCase(t, c)
			if made, self := redundancy(rep); len(made)+len(self) != 0 {
				t.Fatalf("II104 = %v, II105 = %v; want none (the collations differ)", made, self)
			}
		})
	}
}

// A partition's index attached to its parent's partitioned index cannot be dropped on its
// own (DROP INDEX fails: the parent index requires it), so it is never "redundant: drop it".
func TestRedundancyIgnoresAttachedPartitionIndex(t *testing.T) {
	// The advice cannot be followed: PostgreSQL refuses the drop.
	db := pgtest.DB(t, "", nil)
	if _, err := db.Exec(context.Background(), baseSQL); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(context.Background(), "DROP INDEX CONCURRENTLY public.ranking_snapshots_2026_01_tenant_id_captured_on_idx"); err == nil {
		t.Fatal("PostgreSQL dropped an attached partition index")
	} else {
		t.Logf("the drop II104 advises fails: %v", err)
	}
	rep := reviewCase(t, dirCase{migs: noTxIndexes("CREATE INDEX CONCURRENTLY rs_2026_01_tck_idx ON ranking_snapshots_2026_01 (tenant_id, captured_on, keyword);")})
	if made, self := redundancy(rep); len(made)+len(self) != 0 {
		t.Fatalf("II104 = %v, II105 = %v; want none (the existing index belongs to the parent's index)", made, self)
	}
}
