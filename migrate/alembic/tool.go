package alembic

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

func cutEnv(kv string) (k, v string, ok bool) { return strings.Cut(kv, "=") }

// environ returns the process environment with cfg.Env (and extra) applied.
func environ(cfg Config, extra ...string) []string {
	// Alembic imports env.py and the revision files; keep it from writing
	// __pycache__ directories into the project.
	env := append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1")
	set := func(kv string) {
		k, _, _ := cutEnv(kv)
		for i, e := range env {
			if ek, _, _ := cutEnv(e); ek == k {
				env[i] = kv
				return
			}
		}
		env = append(env, kv)
	}
	for _, kv := range cfg.Env {
		set(kv)
	}
	for _, kv := range extra {
		set(kv)
	}
	return env
}

func getenv(env []string, key string) string {
	for _, e := range env {
		if k, v, _ := cutEnv(e); k == key {
			return v
		}
	}
	return ""
}

// lookPath finds prog in the PATH of env (exec.LookPath uses the process's own).
func lookPath(prog, pathList string) (string, bool) {
	if strings.ContainsRune(prog, filepath.Separator) {
		fi, err := os.Stat(prog)
		return prog, err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
	}
	for _, dir := range filepath.SplitList(pathList) {
		if dir == "" {
			dir = "."
		}
		p := filepath.Join(dir, prog)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, true
		}
	}
	return "", false
}

// command resolves the Alembic command line prefix.
func (p *Project) command(env []string) ([]string, error) {
	pathList := getenv(env, "PATH")
	if len(p.cfg.Command) > 0 {
		prog, ok := lookPath(p.cfg.Command[0], pathList)
		if !ok {
			return nil, &ToolNotFoundError{Tried: []string{strings.Join(p.cfg.Command, " ")}, Path: pathList}
		}
		return append([]string{prog}, p.cfg.Command[1:]...), nil
	}
	if prog, ok := lookPath("alembic", pathList); ok {
		return []string{prog}, nil
	}
	if prog, ok := lookPath("python3", pathList); ok {
		return []string{prog, "-m", "alembic"}, nil
	}
	return nil, &ToolNotFoundError{Tried: []string{"alembic", "python3 -m alembic"}, Path: pathList}
}

// run runs Alembic with args in the project directory and returns its standard
// output. url, when set, is passed in Config.URLEnv and as -x Config.URLArg=….
func (p *Project) run(ctx context.Context, dbURL string, args ...string) ([]byte, error) {
	if p.Dir == "" {
		return nil, fmt.Errorf("alembic: running Alembic needs the project on disk; open it with alembic.Open")
	}
	if p.Ini == "" {
		return nil, fmt.Errorf("alembic: %s has no %s; running Alembic needs one", p.Dir, p.cfg.IniFile)
	}
	var extra []string
	pre := []string{"-c", p.diskPath(p.Ini)}
	shown := slicesClone(pre)
	if dbURL != "" {
		u := sqlalchemyURL(dbURL, p.cfg.Driver)
		extra = append(extra, p.cfg.URLEnv+"="+u)
		if p.cfg.URLArg != "-" {
			pre = append(pre, "-x", p.cfg.URLArg+"="+u)
			shown = append(shown, "-x", p.cfg.URLArg+"="+redactURL(u))
		}
	}
	env := environ(p.cfg, extra...)
	cmdline, err := p.command(env)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	full := append(append(slicesClone(cmdline), pre...), args...)
	shownFull := append(append(slicesClone(cmdline), shown...), args...)
	cmd := exec.CommandContext(ctx, full[0], full[1:]...)
	cmd.Dir = p.Dir
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	p.cfg.Logger.DebugContext(ctx, "alembic: run", "args", shownFull)
	err = cmd.Run()
	if err == nil {
		return stdout.Bytes(), nil
	}
	errOut := stderr.String()
	if dbURL != "" {
		errOut = strings.ReplaceAll(errOut, sqlalchemyURL(dbURL, p.cfg.Driver), redactURL(sqlalchemyURL(dbURL, p.cfg.Driver)))
	}
	if strings.Contains(errOut, "No module named alembic") || strings.Contains(errOut, "No module named 'alembic'") {
		return nil, &ToolNotFoundError{Tried: []string{strings.Join(cmdline, " ")}, Path: getenv(env, "PATH")}
	}
	ce := &CommandError{Args: shownFull, Stderr: tail(errOut, 30)}
	if strings.Contains(errOut, "No module named 'psycopg2'") || strings.Contains(errOut, "No module named psycopg2") {
		ce.Hint = "the PostgreSQL driver psycopg2 is not installed for Alembic's Python (Debian/Ubuntu: apt-get install python3-psycopg2)"
	}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		ce.Err = fmt.Errorf("%w (timeout %v)", ctx.Err(), p.cfg.Timeout)
	case errors.As(err, &ee):
		ce.ExitCode = ee.ExitCode()
	default:
		ce.Err = err
	}
	return nil, ce
}

func slicesClone(s []string) []string { return append([]string(nil), s...) }

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{"…"}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

// sqlalchemyURL rewrites a libpq URL (postgres://… or postgresql://…) for SQLAlchemy
// with the given driver (postgresql+psycopg2://…); other URLs are returned as is.
func sqlalchemyURL(u, driver string) string {
	if driver == "-" {
		return u
	}
	for _, s := range []string{"postgres://", "postgresql://"} {
		if strings.HasPrefix(u, s) {
			return "postgresql+" + driver + "://" + strings.TrimPrefix(u, s)
		}
	}
	return u
}

// redactURL hides the password of a URL for messages.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// Upgrade runs `alembic upgrade <target>` online against databaseURL ("heads" when
// target is empty). env.py must read the URL as [Config.URLEnv] and URLArg describe.
func (p *Project) Upgrade(ctx context.Context, databaseURL, target string) error {
	if target == "" {
		target = "heads"
	}
	_, err := p.run(ctx, databaseURL, "upgrade", target)
	return err
}

// Downgrade runs `alembic downgrade <target>` online against databaseURL ("base"
// when target is empty).
func (p *Project) Downgrade(ctx context.Context, databaseURL, target string) error {
	if target == "" {
		target = "base"
	}
	_, err := p.run(ctx, databaseURL, "downgrade", target)
	return err
}
