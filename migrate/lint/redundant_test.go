package lint

import (
	"strings"
	"testing"

	"github.com/lsos/lsosgov/governance"
)

// redundancy returns the II104/II105 findings of a review.
func redundancy(rep *Report) (made, self governance.Findings) {
	for _, f := range rep.Findings.ByCheck(governance.CheckIndexImpact) {
		switch f.Code {
		case "II104":
			made = append(made, f)
		case "II105":
			self = append(self, f)
		}
	}
	return made, self
}

// noTxIndexes wraps index statements in a no-transaction file, so only index-impact speaks.
func noTxIndexes(stmts ...string) []mig {
	return one("-- lsos:no-transaction\n" + strings.Join(stmts, "\n"))
}

func TestIndexMakesExistingRedundant(t *testing.T) {
	// projects_created_idx (created_at) is a leading prefix of the new index.
	rep := reviewCase(t, dirCase{migs: noTxIndexes("CREATE INDEX CONCURRENTLY projects_created_status_idx ON projects (created_at, status);")})
	made, self := redundancy(rep)
	if len(made) != 1 || len(self) != 0 {
		t.Fatalf("II104 = %v, II105 = %v; want one II104", made, self)
	}
	f := made[0]
	if f.Line != 2 || f.Object != "public.projects" || f.Severity != governance.SeverityInfo {
		t.Errorf("finding = %+v", f)
	}
	for _, s := range []string{"projects_created_status_idx", "makes existing index projects_created_idx (created_at) redundant", "DROP INDEX CONCURRENTLY public.projects_created_idx"} {
		if !strings.Contains(f.Message, s) {
			t.Errorf("message %q lacks %q", f.Message, s)
		}
	}
}

func TestIndexItselfRedundant(t *testing.T) {
	for name, stmt := range map[string]string{
		"prefix of existing": "CREATE INDEX CONCURRENTLY projects_tenant_idx ON projects (tenant_id);", // prefix of UNIQUE (tenant_id, id)
		"equal to existing":  "CREATE INDEX CONCURRENTLY projects_created2_idx ON projects (created_at);",
	} {
		t.Run(name, func(t *testing.T) {
			rep := reviewCase(t, dirCase{migs: noTxIndexes(stmt)})
			made, self := redundancy(rep)
			if len(self) != 1 || len(made) != 0 {
				t.Fatalf("II104 = %v, II105 = %v; want one II105", made, self)
			}
			if !strings.Contains(self[0].Message, "is redundant with existing index") || !strings.Contains(self[0].Message, "(do not create it)") {
				t.Errorf("message = %s", self[0].Message)
			}
		})
	}
}

// The exemptions: a unique or constraint index is never redundant, a partial index or
// one of another method is not comparable, an expression index is left alone.
func TestIndexRedundancyExemptions(t *testing.T) {
	cases := map[string]dirCase{
		// The existing (tenant_id, id) index backs a UNIQUE constraint: a wider index does
		// not make it droppable.
		"existing unique": {migs: noTxIndexes("CREATE INDEX CONCURRENTLY projects_tenant_id_title_idx ON projects (tenant_id, id, title);")},
		"partial new":     {migs: noTxIndexes("CREATE INDEX CONCURRENTLY projects_created_recent_idx ON projects (created_at, status) WHERE status <> 'done';")},
		"partial existing": {migs: two(
			"CREATE INDEX projects_status_open_idx ON projects (status) WHERE status <> 'done';",
			"-- lsos:no-transaction\nCREATE INDEX CONCURRENTLY projects_status_title_idx ON projects (status, title);")},
		"different method": {migs: noTxIndexes("CREATE INDEX CONCURRENTLY projects_created_hash ON projects USING hash (created_at);")},
		"expression":       {migs: noTxIndexes("CREATE INDEX CONCURRENTLY projects_created_day_idx ON projects ((created_at::date));")},
		"descending key":   {migs: noTxIndexes("CREATE INDEX CONCURRENTLY projects_created_desc_idx ON projects (created_at DESC, status);")},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			rep := reviewCase(t, c)
			if made, self := redundancy(rep); len(made)+len(self) != 0 {
				t.Fatalf("II104 = %v, II105 = %v; want none", made, self)
			}
			if len(rep.Findings.ByCheck(governance.CheckIndexImpact)) == 0 {
				t.Fatalf("the index itself must still be reported (II101): %v", rep.Findings)
			}
		})
	}
}

// A new unique index is a rule, never a redundant copy: on the same column as an
// existing plain index, the plain one is the redundant one.
func TestUniqueIndexMakesPlainRedundant(t *testing.T) {
	rep := reviewCase(t, dirCase{migs: noTxIndexes("CREATE UNIQUE INDEX CONCURRENTLY projects_created_uq ON projects (created_at);")})
	if made, self := redundancy(rep); len(self) != 0 || len(made) != 1 || !strings.Contains(made[0].Message, "makes existing index projects_created_idx (created_at) redundant") {
		t.Fatalf("II104 = %v, II105 = %v; want the plain index redundant, the unique one kept", made, self)
	}
}

// An index that is a prefix of a new unique index created before it is redundant.
func TestIndexRedundantWithNewUnique(t *testing.T) {
	rep := reviewCase(t, dirCase{migs: noTxIndexes("CREATE UNIQUE INDEX CONCURRENTLY projects_created_id_uq ON projects (tenant_id, created_at, id);",
		"CREATE INDEX CONCURRENTLY projects_tc_idx ON projects (tenant_id, created_at);")})
	made, self := redundancy(rep)
	// The second index is a prefix of the first (II105); the first made nothing redundant
	// (projects_created_idx starts with created_at, not tenant_id).
	if len(self) != 1 || !strings.Contains(self[0].Message, "projects_tc_idx") || !strings.Contains(self[0].Message, "projects_created_id_uq") || len(made) != 0 {
		t.Fatalf("II104 = %v, II105 = %v", made, self)
	}
}
