package reliability

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lsos/lsosgov/archive"
	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/sqlident"
)

// The documented archive role (owner membership, CREATE on the database, hold read) runs
// with KeepDetached while lsos_archive_detached already exists, owned by another role
// that granted it nothing: the move (ALTER TABLE … SET SCHEMA) needs CREATE on that
// schema, so Run must refuse with a PrivilegeError before any step, leaving the
// partition attached and nothing in the catalog.
func TestArchiveKeepDetachedNeedsCreateOnSchema(t *testing.T) {
	ctx := context.Background()
	adminURL, admin := fresh(t)
	if _, err := admin.Exec(ctx, `DROP SCHEMA lsos_archive CASCADE; CREATE SCHEMA lsos_archive_detached`); err != nil {
		t.Fatal(err)
	}
	owner := ownTablesBy(t, admin)
	db := databaseName(t, admin)
	url := createRole(t, admin, adminURL, "rev_archiver", "arc-"+randomHex(t, 8), "",
		`GRANT CREATE ON DATABASE `+sqlident.Quote(db)+` TO ROLE`, `GRANT USAGE ON SCHEMA public TO ROLE`, `GRANT `+owner+` TO ROLE`,
		`GRANT USAGE ON SCHEMA lsos_retention TO ROLE`, `GRANT SELECT ON lsos_retention.legal_holds TO ROLE`)
	const part = "public.ranking_snapshots_2025_01"
	store := openStore(t, t.TempDir())
	_, err := archive.Run(ctx, poolFor(t, url), store, governance.Default(), archive.Options{
		Now: func() time.Time { return fixedNow }, Partitions: []archive.Partition{{Name: part}}, KeepDetached: true})
	if err == nil {
		t.Fatal("the run succeeded; expected a privilege problem with lsos_archive_detached")
	}
	attached := count(t, admin, `SELECT count(*) FROM pg_inherits WHERE inhrelid = to_regclass($1)`, part)
	exported := count(t, admin, `SELECT count(*) FROM lsos_archive.archives WHERE partition = $1`, part)
	if !errors.Is(err, archive.ErrPrivilege) || attached != 1 || exported != 0 {
		t.Fatalf("want a PrivilegeError before any step; got err=%v, partition still attached=%v, catalog rows=%d", err, attached == 1, exported)
	}
	if !strings.Contains(err.Error(), `CREATE on schema "lsos_archive_detached"`) {
		t.Fatalf("the error does not say what to grant: %v", err)
	}
}
