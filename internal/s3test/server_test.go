package s3test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func TestMissingBinaryNamesTheBuildScript(t *testing.T) {
	t.Parallel()
	_, err := Start(context.Background(), Options{Binary: filepath.Join(t.TempDir(), "weed")})
	if !errors.Is(err, ErrNoBinary) {
		t.Fatalf("Start without a binary: %v; want ErrNoBinary", err)
	}
	if !strings.Contains(err.Error(), ".ci/build-seaweedfs") {
		t.Errorf("error %q does not name .ci/build-seaweedfs", err)
	}
}

func TestBuildScriptBuildsThisVersion(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../.ci/build-seaweedfs")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "\nversion="+SeaweedFSVersion+"\n") {
		t.Errorf(".ci/build-seaweedfs does not build version=%s", SeaweedFSVersion)
	}
	if !strings.Contains(string(b), "lsosgov/weed-$version") {
		t.Error(".ci/build-seaweedfs does not write to the cache path DefaultBinary reads")
	}
}

func TestDefaultBinary(t *testing.T) {
	t.Setenv("LSOS_SEAWEEDFS_BIN", "")
	t.Setenv("XDG_CACHE_HOME", "/x/cache")
	if got, err := DefaultBinary(); err != nil || got != "/x/cache/lsosgov/weed-"+SeaweedFSVersion {
		t.Errorf("DefaultBinary() = %q, %v", got, err)
	}
	t.Setenv("LSOS_SEAWEEDFS_BIN", "/opt/weed")
	if got, _ := DefaultBinary(); got != "/opt/weed" {
		t.Errorf("DefaultBinary() with LSOS_SEAWEEDFS_BIN = %q", got)
	}
}

var validBucket = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$`)

func TestBucketName(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, prefix string }{
		{"TestArchive", "lsos-testarchive-"},
		{"TestArchive/run_2026-11/UTF-8 é ü", "lsos-testarchive-run-2026-11-utf-8-"},
		{"", "lsos-"},
		{"///", "lsos-"},
		{"Test__A..B--C", "lsos-test-a-b-c-"},
		{strings.Repeat("VeryLongTestName/", 10), "lsos-verylongtestname-verylongtestname-verylongte-"},
		{"Test" + strings.Repeat("x", 39) + "/y", "lsos-test" + strings.Repeat("x", 39) + "-"},
	} {
		a, b := BucketName(tc.in), BucketName(tc.in)
		if a == b {
			t.Errorf("BucketName(%q) gave %s twice", tc.in, a)
		}
		if !validBucket.MatchString(a) || strings.Contains(a, "--") {
			t.Errorf("BucketName(%q) = %q: not a valid bucket name", tc.in, a)
		}
		if !strings.HasPrefix(a, tc.prefix) || len(a) != len(tc.prefix)+8 {
			t.Errorf("BucketName(%q) = %q; want %s<8 hex>", tc.in, a, tc.prefix)
		}
	}
}

func TestServer(t *testing.T) {
	t.Parallel()
	s, err := Shared()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.Endpoint(), "http://127.0.0.1:") {
		t.Errorf("Endpoint() = %s", s.Endpoint())
	}
	if s.AccessKey() == "" || len(s.SecretKey()) < 32 {
		t.Errorf("credentials %q/%q", s.AccessKey(), s.SecretKey())
	}
	if env := strings.Join(s.Env(), " "); !strings.Contains(env, "AWS_ACCESS_KEY_ID="+s.AccessKey()) ||
		!strings.Contains(env, "AWS_SECRET_ACCESS_KEY="+s.SecretKey()) {
		t.Errorf("Env() = %v", s.Env())
	}
	if os.Getenv("AWS_ACCESS_KEY_ID") != s.AccessKey() || os.Getenv("AWS_SECRET_ACCESS_KEY") != s.SecretKey() {
		t.Error("Shared did not put the server's credentials in the environment")
	}
	ctx := context.Background()
	name := BucketName(t.Name())
	if err := s.CreateBucket(ctx, name); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateBucket(ctx, name); err == nil {
		t.Error("creating an existing bucket succeeded")
	}
	if err := s.DeleteBucket(ctx, name); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteBucket(ctx, name); err == nil {
		t.Error("deleting a missing bucket succeeded")
	}
	if got := s.URL("b"); !strings.HasPrefix(got, "s3://b?") {
		t.Errorf("URL(b) = %s", got)
	}
}

// TestServerListensOnLoopbackOnly reads the server process's listening TCP sockets from
// /proc: every one must be bound to 127.0.0.1.
func TestServerListensOnLoopbackOnly(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	t.Parallel()
	s, err := Shared()
	if err != nil {
		t.Fatal(err)
	}
	pid := s.cmd.Process.Pid
	inodes := map[string]bool{}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, fd := range fds {
		link, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if err == nil && strings.HasPrefix(link, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")] = true
		}
	}
	listening := 0
	for _, table := range []string{"tcp", "tcp6"} {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/net/%s", pid, table))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			f := strings.Fields(line)
			if len(f) < 10 || f[3] != "0A" || !inodes[f[9]] { // 0A: LISTEN
				continue
			}
			listening++
			if table == "tcp6" || !strings.HasPrefix(f[1], "0100007F:") { // 127.0.0.1, little-endian hex
				t.Errorf("weed listens on %s %s, not 127.0.0.1", table, f[1])
			}
		}
	}
	if listening < 4 {
		t.Errorf("found %d listening sockets of weed; want at least master, volume, filer and s3", listening)
	}
}

// TestHelperPanickingProcess is run as a child by TestServerDiesWithTestBinary: it starts
// a server, prints its pid and dir, then panics.
func TestHelperPanickingProcess(t *testing.T) {
	if os.Getenv("S3TEST_PANIC_CHILD") != "1" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	s, err := Start(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("SERVER %d %s\n", s.cmd.Process.Pid, s.Dir())
	panic("test panics with a server running")
}

func TestServerDiesWithTestBinary(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the parent-death signal is Linux-only")
	}
	t.Parallel()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperPanickingProcess$", "-test.v")
	cmd.Env = append(os.Environ(), "S3TEST_PANIC_CHILD=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var pid int
	var dir string
	var output []string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		output = append(output, sc.Text())
		if f := strings.Fields(sc.Text()); len(f) == 3 && f[0] == "SERVER" {
			pid, _ = strconv.Atoi(f[1])
			dir = f[2]
		}
	}
	if err := cmd.Wait(); err == nil {
		t.Fatal("child test binary did not fail although it panicked")
	}
	if pid == 0 {
		t.Fatalf("child never reported its server:\n%s", strings.Join(output, "\n"))
	}
	deadline := time.Now().Add(15 * time.Second)
	for !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) {
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("weed pid %d still running 15s after its test binary panicked", pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
	sweepStale(filepath.Dir(dir))
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("server dir %s of a dead test binary was not swept", dir)
	}
}

// TestFreezeThawKill: a frozen server accepts connections but answers nothing until
// thawed; a killed one refuses connections and leaves no files.
func TestFreezeThawKill(t *testing.T) {
	s := OwnServer(t)
	ctx := context.Background()
	put := func(key string, timeout time.Duration) error {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		_, err := s.Client().PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(OwnBucket), Key: aws.String(key), Body: strings.NewReader("x")})
		return err
	}
	if err := put("before", 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := s.Freeze(); err != nil {
		t.Fatal(err)
	}
	if n, err := runningThreads(s.cmd.Process.Pid); runtime.GOOS == "linux" && (err != nil || n != 0) {
		t.Fatalf("after Freeze: %d threads running (%v)", n, err)
	}
	host := strings.TrimPrefix(s.Endpoint(), "http://")
	c, err := net.DialTimeout("tcp", host, 2*time.Second)
	if err != nil {
		t.Fatalf("a frozen server's port refused a connection: %v", err)
	}
	c.Close()
	start := time.Now()
	if err := put("frozen", 500*time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("put to a frozen server: %v; want the deadline exceeded", err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Fatalf("put to a frozen server gave up after %s; its deadline is 500ms", el)
	}
	if err := s.Thaw(); err != nil {
		t.Fatal(err)
	}
	if err := put("after", 30*time.Second); err != nil {
		t.Fatalf("put after Thaw: %v", err)
	}
	if err := s.Freeze(); err != nil { // Kill ends a frozen server too
		t.Fatal(err)
	}
	if err := s.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := put("killed", 5*time.Second); err == nil || !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("put to a killed server: %v; want connection refused", err)
	}
	if _, err := os.Stat(s.Dir()); !os.IsNotExist(err) {
		t.Errorf("the killed server's dir %s is still there", s.Dir())
	}
	if err := s.Freeze(); err == nil {
		t.Error("Freeze of a killed server succeeded")
	}
	if err := s.Stop(); err != nil {
		t.Errorf("Stop after Kill: %v", err)
	}
}
