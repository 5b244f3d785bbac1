package s3test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// SeaweedFSVersion is the module version of github.com/seaweedfs/seaweedfs that
// .ci/build-seaweedfs builds (a test keeps the two equal).
const SeaweedFSVersion = "v0.0.0-20261109003541-7506e5f91cd6"

// Region is the region in the local server's URLs (SeaweedFS accepts any).
const Region = "us-east-1"

// accessKey is the access key of the local server's only identity; its secret is
// random per server.
const accessKey = "LSOSTESTKEY"

// dirPrefix names the temp dirs of local servers: lsoss3-<pid>-…; a stale one (its
// owner process gone) is removed by the next start.
const dirPrefix = "lsoss3-"

// ErrNoBinary is returned (wrapped) by Start and Shared when the weed binary is missing.
var ErrNoBinary = errors.New("s3test: SeaweedFS binary not found")

// Options configure Start. The zero value is usable.
type Options struct {
	// Binary is the weed binary to run; empty means DefaultBinary().
	Binary string
	// Logf, when set, reports where the server runs and how long it took to start.
	Logf func(format string, args ...any)
}

// DefaultBinary returns where the weed binary is looked for: LSOS_SEAWEEDFS_BIN when
// set, else <user cache dir>/lsosgov/weed-<SeaweedFSVersion>, the path that
// .ci/build-seaweedfs writes (the user cache dir is $XDG_CACHE_HOME or ~/.cache on
// Linux).
func DefaultBinary() (string, error) {
	if p := os.Getenv("LSOS_SEAWEEDFS_BIN"); p != "" {
		return p, nil
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("s3test: no cache dir to find the weed binary in (set LSOS_SEAWEEDFS_BIN): %w", err)
	}
	return filepath.Join(dir, "lsosgov", "weed-"+SeaweedFSVersion), nil
}

// Server is a local SeaweedFS server with its S3 gateway, started by Start.
type Server struct {
	endpoint  string
	secretKey string
	dir       string
	logPath   string
	sockets   []string
	cmd       *exec.Cmd
	exited    chan struct{}
	waitErr   error
	client    *s3.Client

	stopOnce sync.Once
	stopErr  error
}

// Endpoint returns the S3 endpoint, http://127.0.0.1:<port>.
func (s *Server) Endpoint() string { return s.endpoint }

// AccessKey returns the access key the server accepts.
func (s *Server) AccessKey() string { return accessKey }

// SecretKey returns the secret key that goes with AccessKey.
func (s *Server) SecretKey() string { return s.secretKey }

// Dir returns the server's temp dir (data, configuration and weed.log).
func (s *Server) Dir() string { return s.dir }

// Env returns the AWS environment variables that make gocloud's s3blob (or any AWS SDK
// client) sign requests for this server: for a child process's environment.
func (s *Server) Env() []string {
	return []string{"AWS_ACCESS_KEY_ID=" + accessKey, "AWS_SECRET_ACCESS_KEY=" + s.secretKey}
}

// URL returns the gocloud URL of a bucket on this server. Opening it needs the
// credentials of Env in the environment (Shared puts them there).
func (s *Server) URL(bucket string) string {
	return bucketURL(bucket, s.endpoint)
}

func bucketURL(bucket, endpoint string) string {
	q := url.Values{}
	q.Set("endpoint", endpoint)
	q.Set("region", Region)
	q.Set("use_path_style", "true")
	q.Set("request_checksum_calculation", "when_required")
	q.Set("response_checksum_validation", "when_required")
	return "s3://" + bucket + "?" + q.Encode()
}

// Client returns an AWS SDK S3 client for this server with its credentials.
func (s *Server) Client() *s3.Client { return s.client }

// CreateBucket creates a bucket.
func (s *Server) CreateBucket(ctx context.Context, name string) error {
	if _, err := s.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		return fmt.Errorf("s3test: create bucket %s: %w", name, err)
	}
	return nil
}

// DeleteBucket deletes a bucket and everything in it.
func (s *Server) DeleteBucket(ctx context.Context, name string) error {
	// The server runs with -s3.allowDeleteBucketNotEmpty: one call removes the contents.
	if _, err := s.client.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(name)}); err != nil {
		return fmt.Errorf("s3test: delete bucket %s: %w", name, err)
	}
	return nil
}

// Stop stops the server and removes its files. It is safe to call more than once, and
// after Freeze or Kill.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		_ = s.signal(syscall.SIGCONT) // a frozen server handles the SIGTERM only once resumed
		select {
		case <-s.exited:
		case <-time.After(10 * time.Second):
			_ = s.signal(syscall.SIGKILL)
			<-s.exited
		}
		s.stopErr = removeServerFiles(s.dir)
	})
	return s.stopErr
}

// Freeze suspends the server (SIGSTOP to its process group) and returns once every
// thread of it has stopped: the kernel still accepts connections on its ports and
// buffers what clients send, but nothing answers, like a hung store. Requests made while
// it is frozen wait until the client gives up or Thaw; a request the client abandoned
// may still be carried out when the server resumes, as on a real store that stalled.
// Freeze a server of your own (Start, OwnServer), never Shared: the other tests use that
// one. Stop and Kill also end a frozen server.
func (s *Server) Freeze() error {
	if err := s.signal(syscall.SIGSTOP); err != nil {
		return err
	}
	return waitStopped(s.cmd.Process.Pid, 10*time.Second)
}

// Thaw resumes a server that Freeze suspended (SIGCONT to its process group). Thawing a
// running server does nothing.
func (s *Server) Thaw() error { return s.signal(syscall.SIGCONT) }

// Kill ends the server at once (SIGKILL to its process group), as a crash or a pulled
// plug would, waits for it to exit and removes its files: clients then find nothing
// listening on its port (connection refused). Stop after Kill does nothing.
func (s *Server) Kill() error {
	s.stopOnce.Do(func() {
		if err := s.signal(syscall.SIGKILL); err != nil && !s.hasExited() {
			s.stopErr = err
			return
		}
		<-s.exited
		s.stopErr = removeServerFiles(s.dir)
	})
	return s.stopErr
}

func (s *Server) hasExited() bool {
	select {
	case <-s.exited:
		return true
	default:
		return false
	}
}

// signal sends sig to the server's process group (Start makes the server its leader).
func (s *Server) signal(sig syscall.Signal) error {
	if s.hasExited() {
		return fmt.Errorf("s3test: signal %v: the server at %s has exited (%v)", sig, s.endpoint, s.waitErr)
	}
	if err := syscall.Kill(-s.cmd.Process.Pid, sig); err != nil {
		return fmt.Errorf("s3test: signal %v to the server at %s: %w", sig, s.endpoint, err)
	}
	return nil
}

// Start starts a SeaweedFS server (master, volume, filer and S3 gateway in one process)
// on 127.0.0.1 with free ports and a temp data dir, and waits until its S3 gateway
// accepts an authenticated write (about 10 s on a busy 2-core machine). The server dies
// with the calling process.
func Start(ctx context.Context, opts Options) (*Server, error) {
	bin := opts.Binary
	if bin == "" {
		var err error
		if bin, err = DefaultBinary(); err != nil {
			return nil, err
		}
	}
	if fi, err := os.Stat(bin); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		return nil, fmt.Errorf("%w at %s: build it once per machine with .ci/build-seaweedfs "+
			"(or set LSOS_SEAWEEDFS_BIN to a weed binary, or LSOS_TEST_S3_URL to an S3-compatible server)", ErrNoBinary, bin)
	}
	start := time.Now()

	base := os.TempDir()
	sweepStale(base)
	dir, err := os.MkdirTemp(base, fmt.Sprintf("%s%d-", dirPrefix, os.Getpid()))
	if err != nil {
		return nil, fmt.Errorf("s3test: create server dir: %w", err)
	}
	fail := func(err error) (*Server, error) {
		_ = removeServerFiles(dir)
		return nil, err
	}

	secret, err := randomHex(20)
	if err != nil {
		return fail(err)
	}
	if err := writeConfig(dir, secret); err != nil {
		return fail(err)
	}
	ports, err := freePorts(8)
	if err != nil {
		return fail(err)
	}
	master, masterGRPC, volume, volumeGRPC := ports[0], ports[1], ports[2], ports[3]
	filer, filerGRPC, s3Port, s3GRPC := ports[4], ports[5], ports[6], ports[7]
	// weed puts the gRPC unix sockets of its services in /tmp whatever we say: note them
	// so that Stop and the stale sweep remove them.
	var sockets []string
	for _, p := range []struct {
		name string
		port int
	}{{"master", masterGRPC}, {"volume", volumeGRPC}, {"filer", filerGRPC}, {"s3", s3GRPC}} {
		sockets = append(sockets, fmt.Sprintf("/tmp/seaweedfs-%s-grpc-%d.sock", p.name, p.port))
	}
	if err := os.WriteFile(filepath.Join(dir, "sockets"), []byte(strings.Join(sockets, "\n")+"\n"), 0o600); err != nil {
		return fail(err)
	}

	itoa := strconv.Itoa
	args := []string{
		"-logtostderr", "server",
		"-ip=127.0.0.1", "-ip.bind=127.0.0.1",
		"-dir=" + filepath.Join(dir, "data"),
		"-master.port=" + itoa(master), "-master.port.grpc=" + itoa(masterGRPC),
		"-master.volumeSizeLimitMB=64", "-master.telemetry=false",
		"-volume.port=" + itoa(volume), "-volume.port.grpc=" + itoa(volumeGRPC),
		"-volume.max=256", "-volume.preStopSeconds=0",
		"-filer", "-filer.port=" + itoa(filer), "-filer.port.grpc=" + itoa(filerGRPC),
		"-filer.localSocket=" + filepath.Join(dir, "filer.sock"),
		"-s3", "-s3.port=" + itoa(s3Port), "-s3.port.grpc=" + itoa(s3GRPC),
		"-s3.port.iceberg=0", "-s3.port.lance=0",
		"-s3.localSocket=" + filepath.Join(dir, "s3.sock"),
		"-s3.config=" + filepath.Join(dir, "s3.json"),
		"-s3.autoCreateBucket=false", "-s3.allowDeleteBucketNotEmpty=true",
		"-s3.iam=false", // no embedded IAM API: the identities of s3.json are all we need
	}
	if err := os.Mkdir(filepath.Join(dir, "data"), 0o700); err != nil {
		return fail(err)
	}
	logPath := filepath.Join(dir, "weed.log")
	lf, err := os.Create(logPath)
	if err != nil {
		return fail(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir // weed reads master.toml from its working directory
	cmd.Env = serverEnv()
	cmd.Stdout, cmd.Stderr = lf, lf
	// The server dies with us even when the test binary is killed or panics.
	cmd.SysProcAttr = procAttr()
	if err := cmd.Start(); err != nil {
		lf.Close()
		return fail(fmt.Errorf("s3test: start %s: %w", bin, err))
	}
	s := &Server{
		endpoint:  "http://127.0.0.1:" + itoa(s3Port),
		secretKey: secret,
		dir:       dir,
		logPath:   logPath,
		sockets:   sockets,
		cmd:       cmd,
		exited:    make(chan struct{}),
	}
	go func() { s.waitErr = cmd.Wait(); lf.Close(); close(s.exited) }()
	s.client = newClient(s.endpoint, accessKey, secret)

	if err := s.waitReady(ctx); err != nil {
		_ = s.Stop()
		return nil, err
	}
	if opts.Logf != nil {
		opts.Logf("s3test: started SeaweedFS %s at %s in %s (%s)", SeaweedFSVersion, s.endpoint, dir, time.Since(start).Round(time.Millisecond))
	}
	return s, nil
}

// waitReady polls the S3 gateway until an authenticated ListBuckets succeeds, then
// writes one object to a scratch bucket: the first write after start-up waits for the
// filer's lock ring (several seconds), which belongs to start-up, not to a test.
func (s *Server) waitReady(ctx context.Context) error {
	if err := s.poll(ctx, "answer ListBuckets", func(ctx context.Context) error {
		_, err := s.client.ListBuckets(ctx, &s3.ListBucketsInput{})
		return err
	}); err != nil {
		return err
	}
	name := BucketName("warm-up")
	if err := s.CreateBucket(ctx, name); err != nil {
		return fmt.Errorf("%w; log: %s", err, s.logTail())
	}
	if err := s.poll(ctx, "accept a first object", func(ctx context.Context) error {
		_, err := s.client.PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String(name), Key: aws.String("warm-up"), Body: strings.NewReader("ok"),
		})
		return err
	}); err != nil {
		return err
	}
	if err := s.DeleteBucket(ctx, name); err != nil {
		return fmt.Errorf("%w; log: %s", err, s.logTail())
	}
	return nil
}

// poll calls try (each call bounded to 30s) until it succeeds, the server exits or ctx
// ends, pausing 100ms between calls.
func (s *Server) poll(ctx context.Context, what string, try func(context.Context) error) error {
	for {
		select {
		case <-s.exited:
			return fmt.Errorf("s3test: weed exited during start-up (%v): %s", s.waitErr, s.logTail())
		default:
		}
		tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := try(tctx)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("s3test: SeaweedFS at %s did not %s: %v (last error: %v); log: %s", s.endpoint, what, ctx.Err(), err, s.logTail())
		case <-s.exited:
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// logTail returns the end of the server log.
func (s *Server) logTail() string {
	b, _ := os.ReadFile(s.logPath)
	b = bytes.TrimSpace(b)
	if len(b) > 3000 {
		b = append([]byte("…"), b[len(b)-3000:]...)
	}
	return string(b)
}

// newClient returns an S3 client for a local server: static credentials, path-style
// addressing, no retries beyond two attempts, checksums only when required.
func newClient(endpoint, key, secret string) *s3.Client {
	return s3.New(s3.Options{
		Region:                     Region,
		BaseEndpoint:               aws.String(endpoint),
		UsePathStyle:               true,
		Credentials:                credentials.NewStaticCredentialsProvider(key, secret, ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
		RetryMaxAttempts:           2,
		HTTPClient:                 &http.Client{Timeout: 30 * time.Second},
	})
}

// serverEnv is the environment of the weed process: ours without AWS credentials
// (weed has no use for them) and without proxies (it talks to 127.0.0.1 only).
func serverEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AWS_") || strings.HasSuffix(strings.ToLower(k), "_proxy") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// writeConfig writes the S3 identity file and a master.toml that grows one volume at a
// time (the default grows seven per bucket) without an allocation hold.
func writeConfig(dir, secret string) error {
	type cred struct {
		AccessKey string `json:"accessKey"`
		SecretKey string `json:"secretKey"`
	}
	type identity struct {
		Name        string   `json:"name"`
		Credentials []cred   `json:"credentials"`
		Actions     []string `json:"actions"`
	}
	cfg := struct {
		Identities []identity `json:"identities"`
	}{[]identity{{
		Name:        "lsostest",
		Credentials: []cred{{accessKey, secret}},
		Actions:     []string{"Admin", "Read", "List", "Tagging", "Write"},
	}}}
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "s3.json"), b, 0o600); err != nil {
		return fmt.Errorf("s3test: write s3.json: %w", err)
	}
	master := "[master.volume_growth]\ncopy_1 = 1\ncopy_2 = 1\ncopy_3 = 1\ncopy_other = 1\nallocation_deferral = \"0s\"\n"
	if err := os.WriteFile(filepath.Join(dir, "master.toml"), []byte(master), 0o600); err != nil {
		return fmt.Errorf("s3test: write master.toml: %w", err)
	}
	return nil
}

// freePorts returns n distinct free TCP ports on 127.0.0.1 (held open together while
// they are chosen, so they differ).
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var ports []int
	for len(ports) < n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("s3test: find a free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("s3test: random: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// removeServerFiles removes a server dir and the /tmp sockets it lists.
func removeServerFiles(dir string) error {
	if b, err := os.ReadFile(filepath.Join(dir, "sockets")); err == nil {
		for _, p := range strings.Fields(string(b)) {
			if strings.HasPrefix(p, "/tmp/seaweedfs-") {
				_ = os.Remove(p)
			}
		}
	}
	return os.RemoveAll(dir)
}

// sweepStale removes server dirs whose owning process no longer exists.
func sweepStale(base string) {
	entries, _ := os.ReadDir(base)
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), dirPrefix) {
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
		_ = removeServerFiles(filepath.Join(base, e.Name()))
	}
}
