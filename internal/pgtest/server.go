package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvURL names the environment variable that points the kit at an existing server. The
// URL's role must be allowed to create databases.
const EnvURL = "LSOS_TEST_DATABASE_URL"

// Help is the advice given when no server can be had.
const Help = "provide PostgreSQL in one of three ways: set " + EnvURL + "=postgres://user:pass@host/db (a role that may CREATE DATABASE); " +
	"install the server binaries (apt-get install -y postgresql); or start a Docker engine"

// Server is a running PostgreSQL cluster.
type Server struct {
	URL  string // admin connection to the maintenance database
	Kind string // how it was provided: "env", "local <bindir>", "docker"
	dir  string
	stop func() error

	mu        sync.Mutex
	templates map[string]*template
	seq       atomic.Int64
}

type template struct {
	once sync.Once
	name string
	err  error
}

// Options tune Start.
type Options struct {
	// Logf receives progress lines; nil discards them.
	Logf func(format string, args ...any)
	// NoDocker skips the Docker fallback.
	NoDocker bool
}

// Start provides a server in the documented order. The caller must Stop it.
func Start(ctx context.Context, o Options) (*Server, error) {
	if u := os.Getenv(EnvURL); u != "" {
		c, err := pgx.Connect(ctx, u)
		if err != nil {
			return nil, fmt.Errorf("pgtest: %s is set but does not connect: %w", EnvURL, redact(err, u))
		}
		c.Close(ctx)
		return &Server{URL: u, Kind: "env", stop: func() error { return nil }}, nil
	}
	local, lerr := startLocal(ctx, o.Logf)
	if lerr == nil {
		return local, nil
	}
	if o.NoDocker {
		return nil, fmt.Errorf("pgtest: no PostgreSQL: %v; %s", lerr, Help)
	}
	d, derr := startDocker(ctx, o.Logf)
	if derr == nil {
		return d, nil
	}
	return nil, fmt.Errorf("pgtest: no PostgreSQL: local server: %v; docker: %v; %s", lerr, derr, Help)
}

// Stop shuts the server down and removes its files (a no-op for an env URL).
func (s *Server) Stop() error {
	if s == nil || s.stop == nil {
		return nil
	}
	return s.stop()
}

// Dir is the cluster's temp dir for local servers ("" otherwise).
func (s *Server) Dir() string { return s.dir }

// DatabaseURL returns the URL of database name on this server.
func (s *Server) DatabaseURL(name string) string {
	u, err := url.Parse(s.URL)
	if err != nil {
		return s.URL
	}
	u.Path = "/" + name
	return u.String()
}

var unsafeName = regexp.MustCompile(`[^a-z0-9_]+`)

// NewDatabaseName returns a fresh database name derived from hint.
func (s *Server) NewDatabaseName(hint string) string {
	h := unsafeName.ReplaceAllString(strings.ToLower(hint), "_")
	n := fmt.Sprintf("t%d_%d_", os.Getpid(), s.seq.Add(1))
	if len(n)+len(h) > 63 {
		h = h[:63-len(n)]
	}
	return n + h
}

// CreateDatabase creates a fresh database, cloned from template when it is not empty,
// and returns its URL.
func (s *Server) CreateDatabase(ctx context.Context, name, template string) (string, error) {
	c, err := pgx.Connect(ctx, s.URL)
	if err != nil {
		return "", fmt.Errorf("pgtest: connect to server: %w", redact(err, s.URL))
	}
	defer c.Close(ctx)
	q := "CREATE DATABASE " + quote(name)
	if template != "" {
		q += " TEMPLATE " + quote(template) + " STRATEGY FILE_COPY"
	}
	// A template that still has a session open makes the clone fail (55006); retry briefly.
	for attempt := 0; ; attempt++ {
		_, err = c.Exec(ctx, q)
		if err == nil || attempt >= 50 || !strings.Contains(err.Error(), "55006") {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		return "", fmt.Errorf("pgtest: create database %s: %w", name, err)
	}
	return s.DatabaseURL(name), nil
}

// DropDatabase drops a database, ending its sessions.
func (s *Server) DropDatabase(ctx context.Context, name string) error {
	c, err := pgx.Connect(ctx, s.URL)
	if err != nil {
		return redact(err, s.URL)
	}
	defer c.Close(ctx)
	_, err = c.Exec(ctx, "DROP DATABASE IF EXISTS "+quote(name)+" WITH (FORCE)")
	return err
}

// Template returns the name of a template database built once per server by setup
// (which gets a connection to it). Later calls with the same key reuse it.
func (s *Server) Template(ctx context.Context, key string, setup func(ctx context.Context, conn *pgx.Conn) error) (string, error) {
	s.mu.Lock()
	if s.templates == nil {
		s.templates = map[string]*template{}
	}
	t, ok := s.templates[key]
	if !ok {
		t = &template{name: s.NewDatabaseName("tpl_" + key)}
		s.templates[key] = t
	}
	s.mu.Unlock()
	t.once.Do(func() {
		u, err := s.CreateDatabase(ctx, t.name, "")
		if err != nil {
			t.err = err
			return
		}
		c, err := pgx.Connect(ctx, u)
		if err != nil {
			t.err = redact(err, u)
			return
		}
		if setup != nil {
			if err := setup(ctx, c); err != nil {
				t.err = fmt.Errorf("pgtest: template %q setup: %w", key, err)
			}
		}
		c.Close(ctx)
	})
	return t.name, t.err
}

func quote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// redact removes a URL's password from an error message.
func redact(err error, rawURL string) error {
	if err == nil {
		return nil
	}
	u, perr := url.Parse(rawURL)
	if perr != nil || u.User == nil {
		return err
	}
	if pw, ok := u.User.Password(); ok && pw != "" {
		return errors.New(strings.ReplaceAll(err.Error(), pw, "xxxxx"))
	}
	return err
}
