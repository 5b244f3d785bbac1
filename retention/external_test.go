package retention

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lsos/lsosgov/governance"
)

// A table in a library schema (a partition kept detached by the archive package) whose
// foreign key pins the tenant's rows stops the hard delete before it deletes anything.
func TestHardDeleteRefusesForeignKeysFromLibrarySchemas(t *testing.T) {
	ctx := context.Background()
	db := sampleDB(t)
	mustExec(t, db, `CREATE SCHEMA lsos_archive_detached;
		CREATE TABLE lsos_archive_detached.rs_copy AS SELECT * FROM ranking_snapshots_2025_03;
		ALTER TABLE lsos_archive_detached.rs_copy ADD CONSTRAINT rs_copy_kw FOREIGN KEY (tenant_id, keyword_id) REFERENCES keywords (tenant_id, id);`)
	clk := &clock{t: sampleNow}
	ob, err := NewOffboarder(db, governance.Default(), OffboardConfig{Actor: "ops", Now: clk.now, FloorCategories: []governance.Category{}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ob.SoftDelete(ctx, "3"); err != nil {
		t.Fatal(err)
	}
	if _, err := ob.Export(ctx, "3", openBucket(t), "x"); err != nil {
		t.Fatal(err)
	}
	clk.t = sampleNow.Add(31 * 24 * time.Hour)
	var before int64
	if err := db.QueryRow(ctx, `SELECT count(*) FROM ranking_snapshots WHERE tenant_id = 3`).Scan(&before); err != nil {
		t.Fatal(err)
	}
	_, err = ob.HardDelete(ctx, "3")
	if err == nil || !strings.Contains(err.Error(), "lsos_archive_detached.rs_copy (FK rs_copy_kw → public.keywords)") {
		t.Fatalf("hard delete = %v", err)
	}
	var after int64
	if err := db.QueryRow(ctx, `SELECT count(*) FROM ranking_snapshots WHERE tenant_id = 3`).Scan(&after); err != nil || after != before || before == 0 {
		t.Fatalf("rows of tenant 3: %d before, %d after the refusal (%v)", before, after, err)
	}
	// Without the tenant's rows in the copy, its key does not block.
	mustExec(t, db, `DELETE FROM lsos_archive_detached.rs_copy WHERE tenant_id = 3`)
	if _, err := ob.HardDelete(ctx, "3"); err != nil {
		t.Fatal(err)
	}
}
