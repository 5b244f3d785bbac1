package migrate

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkUpNoop measures Up with 200 applied versions and nothing pending: what every
// service replica pays at startup (every applied file's checksum is checked on this
// path). The comparison with goose runs in the benchmark driver (internal/bench, group
// up-noop), a module of its own, so the library's go.mod does not carry goose.
func BenchmarkUpNoop(b *testing.B) {
	const n = 200
	ctx := context.Background()
	db := poolFor(b, pgtestURL(b))

	files := map[string]string{}
	for i := 1; i <= n; i++ {
		v := fmt.Sprintf("2026%02d%02d%02d0000", 1+i/28%12, 1+i%28, i/28/12)
		files[v+fmt.Sprintf("_t%d.up.sql", i)] = fmt.Sprintf("CREATE TABLE ours_%d (id int);\n", i)
		files[v+fmt.Sprintf("_t%d.down.sql", i)] = fmt.Sprintf("DROP TABLE ours_%d;\n", i)
	}
	d := loadMap(b, files)
	if len(d.Versions) != n {
		b.Fatalf("%d versions, want %d", len(d.Versions), n)
	}
	m := migrator(b, db, d, Config{})
	if res, err := m.Up(ctx); err != nil || len(res) != n {
		b.Fatalf("setup Up: %d %v", len(res), err)
	}
	for b.Loop() {
		if res, err := m.Up(ctx); err != nil || len(res) != 0 {
			b.Fatalf("Up: %d %v", len(res), err)
		}
	}
}
