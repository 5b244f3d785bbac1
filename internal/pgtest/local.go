package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// dirPrefix names the temp dirs of local clusters; a stale one (its owner process gone)
// is removed by the next start.
const dirPrefix = "lsospg-"

// findBinDir returns the directory holding initdb and postgres.
func findBinDir() (string, error) {
	var tried []string
	has := func(dir string) bool {
		tried = append(tried, dir)
		for _, b := range []string{"initdb", "postgres"} {
			if fi, err := os.Stat(filepath.Join(dir, b)); err != nil || fi.IsDir() {
				return false
			}
		}
		return true
	}
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		if dir := strings.TrimSpace(string(out)); has(dir) {
			return dir, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, d := range dirs {
		if has(d) {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil && has(filepath.Dir(p)) {
		return filepath.Dir(p), nil
	}
	return "", fmt.Errorf("no PostgreSQL server binaries (initdb, postgres) found; looked in pg_config --bindir, /usr/lib/postgresql/*/bin and PATH (%s)", strings.Join(tried, ", "))
}

func versionOf(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

// tempBase picks a fast, writable parent for the cluster: tmpfs when there is one.
func tempBase() string {
	for _, d := range []string{"/dev/shm", os.TempDir()} {
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			if f, err := os.CreateTemp(d, ".probe"); err == nil {
				f.Close()
				os.Remove(f.Name())
				return d
			}
		}
	}
	return os.TempDir()
}

// sweepStale removes cluster dirs whose owning process no longer exists.
func sweepStale(base string) {
	entries, _ := os.ReadDir(base)
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), dirPrefix) {
			continue
		}
		f := strings.SplitN(strings.TrimPrefix(e.Name(), dirPrefix), "-", 2)
		pid, err := strconv.Atoi(f[0])
		if err != nil || pid == os.Getpid() {
			continue
		}
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			continue // still running, or not ours to judge
		}
		os.RemoveAll(filepath.Join(base, e.Name()))
	}
}

// runAs returns the credential to run server processes with: postgres refuses to run as
// root, so a root process hands the cluster to the postgres (or nobody) OS user.
func runAs() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}, nil
	}
	return nil, errors.New("running as root, and neither the postgres nor the nobody OS user exists to run the server as (postgres refuses root)")
}

func chownTree(dir string, cred *syscall.Credential) error {
	if cred == nil {
		return nil
	}
	return filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, int(cred.Uid), int(cred.Gid))
	})
}

// startLocal runs initdb and postgres in a fresh temp dir and waits until it accepts
// connections.
func startLocal(ctx context.Context, logf func(string, ...any)) (*Server, error) {
	bin, err := findBinDir()
	if err != nil {
		return nil, err
	}
	cred, err := runAs()
	if err != nil {
		return nil, err
	}
	base := tempBase()
	sweepStale(base)
	dir, err := os.MkdirTemp(base, fmt.Sprintf("%s%d-", dirPrefix, os.Getpid()))
	if err != nil {
		return nil, fmt.Errorf("create cluster dir: %w", err)
	}
	// Socket paths must stay under 107 bytes; a deep TMPDIR would break that.
	sock := filepath.Join(dir, "s")
	if len(sock) > 90 {
		os.RemoveAll(dir)
		if dir, err = os.MkdirTemp("/tmp", fmt.Sprintf("%s%d-", dirPrefix, os.Getpid())); err != nil {
			return nil, err
		}
		sock = filepath.Join(dir, "s")
	}
	data := filepath.Join(dir, "data")
	cleanup := func() { os.RemoveAll(dir) }
	if err := os.Mkdir(sock, 0o777); err != nil {
		cleanup()
		return nil, err
	}
	if err := chownTree(dir, cred); err != nil {
		cleanup()
		return nil, fmt.Errorf("hand the cluster dir to the server user: %w", err)
	}
	start := time.Now()
	initdb := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), "-D", data, "-U", "lsos", "-A", "trust",
		"-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	initdb.Dir = dir
	if out, err := initdb.CombinedOutput(); err != nil {
		cleanup()
		return nil, fmt.Errorf("initdb failed: %v: %s", err, bytes.TrimSpace(out))
	}
	logFile := filepath.Join(dir, "server.log")
	lf, err := os.Create(logFile)
	if err != nil {
		cleanup()
		return nil, err
	}
	_ = chownTree(logFile, cred)
	srv := exec.Command(filepath.Join(bin, "postgres"), "-D", data,
		"-c", "listen_addresses=",
		"-c", "unix_socket_directories="+sock,
		"-c", "port=5432",
		"-c", "fsync=off",
		"-c", "synchronous_commit=off",
		"-c", "full_page_writes=off",
		"-c", "max_connections=300",
		"-c", "shared_buffers=128MB",
		"-c", "max_locks_per_transaction=256",
		"-c", "log_min_messages=warning",
	)
	srv.Dir = dir
	srv.Stdout, srv.Stderr = lf, lf
	// The server dies with us even when the test binary is killed or panics.
	srv.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGQUIT, Setpgid: true}
	if err := srv.Start(); err != nil {
		lf.Close()
		cleanup()
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	// exited is closed when the server process ends; waitErr holds why.
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = srv.Wait(); lf.Close(); close(exited) }()

	url := fmt.Sprintf("postgres://lsos@/postgres?host=%s&port=5432&sslmode=disable", sock)
	s := &Server{URL: url, Kind: "local " + bin, dir: dir}
	var stopOnce sync.Once
	s.stop = func() error {
		var err error
		stopOnce.Do(func() {
			_ = srv.Process.Signal(syscall.SIGINT) // fast shutdown
			select {
			case <-exited:
			case <-time.After(10 * time.Second):
				_ = srv.Process.Kill()
				<-exited
			}
			err = os.RemoveAll(dir)
		})
		return err
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-exited:
			log, _ := os.ReadFile(logFile)
			cleanup()
			return nil, fmt.Errorf("postgres exited during start-up (%v): %s", waitErr, bytes.TrimSpace(log))
		default:
		}
		c, err := pgx.Connect(ctx, url)
		if err == nil {
			c.Close(ctx)
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			_ = s.stop()
			return nil, fmt.Errorf("postgres did not accept connections within 30s: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if logf != nil {
		logf("pgtest: started PostgreSQL from %s in %s (%s)", bin, dir, time.Since(start).Round(time.Millisecond))
	}
	return s, nil
}
