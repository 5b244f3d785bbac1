package migrate

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/lsos/lsosgov/examples/lsos"
	"github.com/lsos/lsosgov/internal/pgtest"
)

func TestRoundTripSample(t *testing.T) {
	t.Parallel()
	d, err := LoadFS(lsos.Migrations())
	if err != nil {
		t.Fatal(err)
	}
	db := pgtest.DB(t, "", nil)
	if err := Test(context.Background(), db, d); err != nil {
		t.Fatalf("round trip of the sample migrations: %v", err)
	}
	if n := count(t, db, `SELECT count(*) FROM lsos_migrate.revisions`); n != len(d.Versions) {
		t.Errorf("after the round trip %d versions are applied, want %d", n, len(d.Versions))
	}
}

func TestRoundTripCatchesForgottenIndex(t *testing.T) {
	t.Parallel()
	files := counted(2)
	files["20260103000000_idx.up.sql"] = "CREATE INDEX t2_id_idx ON t2 (id);\nCOMMENT ON TABLE t2 IS 'with an index';\n"
	files["20260103000000_idx.down.sql"] = "COMMENT ON TABLE t2 IS NULL;\n" // forgets DROP INDEX
	d := loadMap(t, files)
	db := pgtest.DB(t, "", nil)
	err := Test(context.Background(), db, d)
	var rt *RoundTripError
	if !errors.As(err, &rt) {
		t.Fatalf("Test: %v, want a *RoundTripError", err)
	}
	if rt.Version != "20260103000000" {
		t.Errorf("version %s", rt.Version)
	}
	msg := err.Error()
	for _, want := range []string{"20260103000000_idx.down.sql", "t2_id_idx", "+", "CREATE INDEX t2_id_idx ON public.t2 USING btree (id)"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
	t.Logf("the diff a developer sees:\n%s", msg)
}
