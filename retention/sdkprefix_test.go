package retention

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/lsos/lsosgov/governance"
)

// TestSDKPrefixFromPolicy: with the policy's sdk.prefix "ops_", InstallActiveViews puts
// the views in ops_active and DropActiveViews without a schema finds them there; the
// catalog leaves out the policy's SDK schemas (a table in ops_data) and the schemas the
// SDK creates under its default prefix (lsos_retention) alike.
func TestSDKPrefixFromPolicy(t *testing.T) {
	ctx := context.Background()
	db := sampleDB(t)
	mustExec(t, db, `CREATE SCHEMA ops_data; CREATE TABLE ops_data.notes (tenant_id text, body text)`)
	p := governance.Default()
	p.SDK.Prefix = "ops_"
	cat, err := Catalog(ctx, db, p)
	if err != nil {
		t.Fatal(err)
	}
	for _, tb := range cat.Tables {
		if s := tb.Name.Schema; s == "ops_data" || strings.HasPrefix(s, "lsos_") {
			t.Errorf("the catalog lists %s, a table of an SDK schema", tb.Name)
		}
	}
	res, err := InstallActiveViews(ctx, db, p, ActiveViewOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Views) == 0 {
		t.Fatal("no views")
	}
	for _, v := range res.Views {
		if !strings.HasPrefix(v.View, "ops_active.") {
			t.Errorf("view %s is not in ops_active", v.View)
		}
	}
	if n := count(t, db, `SELECT count(*) FROM pg_views WHERE schemaname = 'lsos_active'`); n != 0 {
		t.Errorf("%d views in lsos_active", n)
	}
	dropped, err := DropActiveViews(ctx, db, ActiveViewOptions{})
	if err != nil || len(dropped) != len(res.Views) {
		t.Fatalf("DropActiveViews: %v, %v", dropped, err)
	}
	var views []string
	for _, v := range res.Views {
		views = append(views, v.View)
	}
	slices.Sort(views)
	if !slices.Equal(dropped, views) {
		t.Errorf("dropped %v; installed %v", dropped, views)
	}
}
