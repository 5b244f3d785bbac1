package pgtest

import (
	"context"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { Main(m) }

func TestFreshDatabasesShareOneCluster(t *testing.T) {
	ctx := context.Background()
	setup := SQLSetup(`CREATE TABLE marker (id int PRIMARY KEY)`, `INSERT INTO marker VALUES (1)`)
	a := DB(t, "marker", setup)
	b := DB(t, "marker", setup)

	var pidA, pidB int
	var dbA, dbB string
	if err := a.QueryRow(ctx, `SELECT pg_backend_pid(), current_database()`).Scan(&pidA, &dbA); err != nil {
		t.Fatal(err)
	}
	if err := b.QueryRow(ctx, `SELECT pg_backend_pid(), current_database()`).Scan(&pidB, &dbB); err != nil {
		t.Fatal(err)
	}
	if dbA == dbB {
		t.Fatalf("both tests got database %q; want a fresh database each", dbA)
	}
	// Both databases are clones of the template, and independent of each other.
	if _, err := a.Exec(ctx, `INSERT INTO marker VALUES (2)`); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := b.QueryRow(ctx, `SELECT count(*) FROM marker`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("clone b sees %d rows; want 1 (template row only)", n)
	}
	// One cluster: both databases are listed by the same server.
	var both int
	if err := a.QueryRow(ctx, `SELECT count(*) FROM pg_database WHERE datname = ANY($1)`, []string{dbA, dbB}).Scan(&both); err != nil {
		t.Fatal(err)
	}
	if both != 2 {
		t.Fatalf("server lists %d of the two test databases; want both on one cluster", both)
	}
	s1, _ := Shared()
	s2, _ := Shared()
	if s1 != s2 {
		t.Fatal("Shared returned two servers in one process")
	}
}

func TestLocalServerRunsAsUnprivilegedUserWhenRoot(t *testing.T) {
	if os.Getenv(EnvURL) != "" {
		t.Log("server provided by " + EnvURL + "; checking the local start path directly")
	}
	ctx := context.Background()
	s, err := startLocal(ctx, t.Logf)
	if err != nil {
		t.Fatalf("local server: %v (%s)", err, Help)
	}
	defer s.Stop()
	c, err := pgx.Connect(ctx, s.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var fsync string
	if err := c.QueryRow(ctx, `SHOW fsync`).Scan(&fsync); err != nil {
		t.Fatal(err)
	}
	if fsync != "off" {
		t.Fatalf("fsync = %s; want off for a throwaway test cluster", fsync)
	}
	var enc string
	if err := c.QueryRow(ctx, `SHOW server_encoding`).Scan(&enc); err != nil {
		t.Fatal(err)
	}
	if enc != "UTF8" {
		t.Fatalf("server_encoding = %s; want UTF8", enc)
	}
	dir := s.Dir()
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("cluster dir %s still exists after Stop", dir)
	}
}
