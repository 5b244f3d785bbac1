package alembic_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/lsos/lsosgov/govtest"
	"github.com/lsos/lsosgov/migrate/alembic"
)

var sampleOrder = []string{"1a2b3c4d5e01", "2b3c4d5e6f02", "3c4d5e6f7a03", "4d5e6f7a8b04", "5e6f7a8b9c05", "6f7a8b9c0d06", "7a8b9c0d1e07"}

func TestStatusAgainstAlembicVersion(t *testing.T) {
	ctx := context.Background()
	p := openSample(t)
	db := govtest.DB(t)

	// No alembic_version table: nothing applied, everything pending.
	st, err := p.Status(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if st.VersionTable || len(st.Current) != 0 || !slices.Equal(revIDs(st.Pending), sampleOrder) || st.AtHead() {
		t.Errorf("fresh database: %+v", st)
	}
	err = alembic.RequireHead(ctx, db, p)
	var nh *alembic.NotAtHeadError
	if !errors.As(err, &nh) || !errors.Is(err, alembic.ErrPending) || errors.Is(err, alembic.ErrUnknownRevision) || len(nh.Pending) != 7 {
		t.Fatalf("RequireHead on a fresh database: %v", err)
	}
	if !strings.Contains(err.Error(), "nothing applied") || !strings.Contains(err.Error(), "7 pending: 1a2b3c4d5e01 (tenants, users and auth tokens)") || !strings.Contains(err.Error(), "alembic upgrade heads") {
		t.Errorf("message: %v", err)
	}

	// Both branches applied, not merged: two rows.
	if _, err := db.Exec(ctx, `CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY);
INSERT INTO alembic_version VALUES ('4d5e6f7a8b04'), ('5e6f7a8b9c05')`); err != nil {
		t.Fatal(err)
	}
	st, err = p.Status(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if !st.VersionTable || !slices.Equal(st.Current, []string{"4d5e6f7a8b04", "5e6f7a8b9c05"}) ||
		!slices.Equal(revIDs(st.Applied), sampleOrder[:5]) || !slices.Equal(revIDs(st.Pending), sampleOrder[5:]) || len(st.Unknown) != 0 {
		t.Errorf("two branch heads: current %q applied %q pending %q unknown %q", st.Current, revIDs(st.Applied), revIDs(st.Pending), st.Unknown)
	}

	// One branch only: the other branch and what follows the merge are pending.
	db.Exec(ctx, `DELETE FROM alembic_version WHERE version_num = '4d5e6f7a8b04'`)
	st, _ = p.Status(ctx, db)
	if want := []string{"4d5e6f7a8b04", "6f7a8b9c0d06", "7a8b9c0d1e07"}; !slices.Equal(revIDs(st.Pending), want) {
		t.Errorf("one branch: pending %q, want %q", revIDs(st.Pending), want)
	}

	// At head.
	db.Exec(ctx, `TRUNCATE alembic_version; INSERT INTO alembic_version VALUES ('7a8b9c0d1e07')`)
	if err := alembic.RequireHead(ctx, db, p); err != nil {
		t.Errorf("at head: %v", err)
	}

	// A revision the directory does not know (deployed by a newer build).
	db.Exec(ctx, `TRUNCATE alembic_version; INSERT INTO alembic_version VALUES ('ffff00000000')`)
	st, _ = p.Status(ctx, db)
	if !slices.Equal(st.Unknown, []string{"ffff00000000"}) || st.AtHead() {
		t.Errorf("unknown: %+v", st)
	}
	err = alembic.RequireHead(ctx, db, p)
	if !errors.Is(err, alembic.ErrUnknownRevision) || !errors.As(err, &nh) || !slices.Equal(nh.Unknown, []string{"ffff00000000"}) || !strings.Contains(err.Error(), "ffff00000000, which the script directory does not know") {
		t.Errorf("RequireHead with an unknown revision: %v", err)
	}
}

func TestStatusInTransactionAndCustomTable(t *testing.T) {
	ctx := context.Background()
	db := govtest.DB(t)
	p, err := alembic.OpenConfig(sampleDir, alembic.Config{VersionTable: "schema_history", VersionTableSchema: "ops"})
	if err != nil {
		t.Fatal(err)
	}
	tx, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	// The table is absent: Status must not abort the caller's transaction.
	if st, err := p.Status(ctx, tx); err != nil || st.VersionTable {
		t.Fatalf("absent custom table: %+v, %v", st, err)
	}
	if _, err := tx.Exec(ctx, `CREATE SCHEMA ops; CREATE TABLE ops.schema_history (version_num varchar(32) PRIMARY KEY);
INSERT INTO ops.schema_history VALUES ('3c4d5e6f7a03')`); err != nil {
		t.Fatalf("the transaction is unusable after Status: %v", err)
	}
	st, err := p.Status(ctx, tx)
	if err != nil || !slices.Equal(revIDs(st.Applied), sampleOrder[:3]) {
		t.Errorf("custom table: %+v, %v", st, err)
	}
	if _, err := alembic.OpenConfig(sampleDir, alembic.Config{VersionTable: "bad name"}); err == nil {
		t.Errorf("a version table name that is not an identifier was accepted")
	}
}

func TestStatusRefusesBrokenGraph(t *testing.T) {
	p, err := alembic.Open(writeProject(t, map[string]string{"a.py": rev("a", "gone", "", "")}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Status(context.Background(), govtest.DB(t)); !errors.Is(err, alembic.ErrGraph) {
		t.Errorf("Status on a dangling graph: %v", err)
	}
}
