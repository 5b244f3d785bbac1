package govtest_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lsos/lsosgov/examples/lsos"
	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/govtest"
)

// recorder is a testing.TB that records failures instead of failing the real test.
type recorder struct {
	testing.TB
	mu     sync.Mutex
	failed bool
	msgs   []string
}

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(format string, args ...any) {
	r.mu.Lock()
	r.failed = true
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
	r.mu.Unlock()
	runtime.Goexit()
}
func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	r.failed = true
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
	r.mu.Unlock()
}

// run calls f with a recorder in its own goroutine, as Fatalf ends the goroutine.
func run(t *testing.T, f func(tb testing.TB)) *recorder {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r
}

var lsosNow = time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)

func lsosSetup(ctx context.Context, c *pgx.Conn) error {
	if err := lsos.Apply(ctx, c); err != nil {
		return err
	}
	return lsos.LoadSample(ctx, c, lsos.SampleOptions{Now: lsosNow})
}

func TestRequireAllClassifiedPassesOnTheSampleAndListsEveryUnclassifiedColumn(t *testing.T) {
	db := govtest.DBFrom(t, "lsos-classify", lsosSetup)
	if r := run(t, func(tb testing.TB) { govtest.RequireAllClassified(tb, db, nil) }); r.failed {
		t.Fatalf("sample schema: %v", r.msgs)
	}
	if _, err := db.Exec(context.Background(), `CREATE TABLE widgets (label text, colour text, serial bigint)`); err != nil {
		t.Fatal(err)
	}
	r := run(t, func(tb testing.TB) { govtest.RequireAllClassified(tb, db, governance.Default()) })
	if !r.failed || len(r.msgs) != 1 {
		t.Fatalf("want one failure, got %v", r.msgs)
	}
	for _, want := range []string{"3 unclassified column(s)", "public.widgets.label", "public.widgets.colour", "public.widgets.serial", "lsos:class="} {
		if !strings.Contains(r.msgs[0], want) {
			t.Errorf("failure message lacks %q: %s", want, r.msgs[0])
		}
	}
	// A policy class settles them.
	p := governance.Default()
	p.Classes.Tables["widgets"] = governance.Operational
	if r := run(t, func(tb testing.TB) { govtest.RequireAllClassified(tb, db, p) }); r.failed {
		t.Errorf("with a table class: %v", r.msgs)
	}
}

func TestRequireClass(t *testing.T) {
	db := govtest.DBFrom(t, "lsos-classify", lsosSetup)
	if r := run(t, func(tb testing.TB) { govtest.RequireClass(tb, db, "users.email", governance.Sensitive) }); r.failed {
		t.Errorf("users.email sensitive: %v", r.msgs)
	}
	r := run(t, func(tb testing.TB) { govtest.RequireClass(tb, db, "public.audit_log.action", governance.Operational) })
	if !r.failed || !strings.Contains(r.msgs[0], "public.audit_log.action is audit") {
		t.Errorf("audit_log.action as operational: want a failure naming the class, got %v", r.msgs)
	}
	r = run(t, func(tb testing.TB) { govtest.RequireClass(tb, db, "users.nope", governance.Sensitive) })
	if !r.failed || !strings.Contains(r.msgs[0], "not found") {
		t.Errorf("missing column: %v", r.msgs)
	}
	p := governance.Default()
	p.Classes.Columns["users.email"] = governance.Operational
	if r := run(t, func(tb testing.TB) { govtest.RequireClassUnder(tb, db, p, "users.email", governance.Operational) }); r.failed {
		t.Errorf("policy override: %v", r.msgs)
	}
}
