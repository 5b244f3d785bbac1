package govtest

import (
	"context"
	"fmt"

	"github.com/lsos/lsosgov/internal/pgtest"
)

// EnvURL names the environment variable that points the kit, and [StartPostgres], at an
// existing server instead of starting one. Its role must be allowed to CREATE DATABASE.
const EnvURL = "LSOS_TEST_DATABASE_URL"

// PostgresOptions tune [StartPostgres]. The zero value is ready to use.
type PostgresOptions struct {
	// Logf receives progress lines (which server was found, where it runs); nil
	// discards them.
	Logf func(format string, args ...any)
	// NoDocker skips the Docker fallback: only EnvURL or local server binaries.
	NoDocker bool
}

// Server is a PostgreSQL server started by [StartPostgres] outside go test: for a
// command such as examples/quickstart that wants an embedded default database. Close it
// when done.
type Server struct {
	s *pgtest.Server
}

// StartPostgres provides a PostgreSQL server the way the test kit does (see the package
// documentation): the server at $LSOS_TEST_DATABASE_URL when set; else local server
// binaries started in a temp dir on a private unix socket (fsync off: for throwaway
// data only); else Docker. The error says how to provide one when none can be had.
//
// Inside tests use [DB] or [DBFrom] instead: they share one server per test binary.
func StartPostgres(ctx context.Context, opts PostgresOptions) (*Server, error) {
	s, err := pgtest.Start(ctx, pgtest.Options{Logf: opts.Logf, NoDocker: opts.NoDocker})
	if err != nil {
		return nil, fmt.Errorf("govtest: %w", err)
	}
	return &Server{s: s}, nil
}

// URL returns the admin connection URL (the maintenance database). Create a database of
// your own with [Server.CreateDatabase] rather than filling this one.
func (s *Server) URL() string { return s.s.URL }

// Kind says how the server was provided: "env", "local <bindir>" or "docker".
func (s *Server) Kind() string { return s.s.Kind }

// CreateDatabase creates a fresh, empty database whose name is derived from hint and
// returns its name and connection URL.
func (s *Server) CreateDatabase(ctx context.Context, hint string) (name, url string, err error) {
	name = s.s.NewDatabaseName(hint)
	url, err = s.s.CreateDatabase(ctx, name, "")
	if err != nil {
		return "", "", fmt.Errorf("govtest: %w", err)
	}
	return name, url, nil
}

// DropDatabase drops a database created with [Server.CreateDatabase], ending its
// sessions. Close drops nothing on a server given by EnvURL, so drop what you created.
func (s *Server) DropDatabase(ctx context.Context, name string) error {
	if err := s.s.DropDatabase(ctx, name); err != nil {
		return fmt.Errorf("govtest: drop database %s: %w", name, err)
	}
	return nil
}

// Close stops a server StartPostgres started and removes its files; for a server given
// by EnvURL it does nothing. Closing twice is safe.
func (s *Server) Close() error {
	if s == nil || s.s == nil {
		return nil
	}
	srv := s.s
	s.s = nil
	if err := srv.Stop(); err != nil {
		return fmt.Errorf("govtest: stop PostgreSQL: %w", err)
	}
	return nil
}
