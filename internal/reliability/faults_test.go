package reliability

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"gocloud.dev/blob"

	"github.com/lsos/lsosgov/archive"
	"github.com/lsos/lsosgov/governance"
	"github.com/lsos/lsosgov/internal/parquetio"
	"github.com/lsos/lsosgov/internal/pgtest"
)

// bigSetup is a partitioned table with a large partition (the export takes long enough
// to be interrupted) and a medium one (larger than a 256 KiB store once compressed).
func bigSetup(ctx context.Context, c *pgx.Conn) error {
	_, err := c.Exec(ctx, `
CREATE TABLE big (id bigint NOT NULL, at date NOT NULL, payload text NOT NULL, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE TABLE big_2024_01 PARTITION OF big FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');
CREATE TABLE big_2024_02 PARTITION OF big FOR VALUES FROM ('2024-02-01') TO ('2024-03-01');
CREATE TABLE big_2024_03 PARTITION OF big FOR VALUES FROM ('2024-03-01') TO ('2024-04-01');
INSERT INTO big SELECT g, date '2024-01-01' + (g % 31), md5(g::text) || repeat('x', 60) FROM generate_series(1, 150000) g;
INSERT INTO big SELECT g, date '2024-02-01' + (g % 29), md5(g::text) || md5((-g)::text) FROM generate_series(1, 30000) g;
INSERT INTO big SELECT g, date '2024-03-01' + (g % 31), md5(g::text) FROM generate_series(1, 1000) g;
ANALYZE big;`)
	if err != nil {
		return err
	}
	return archive.Install(ctx, c)
}

func bigDB(t *testing.T) *pgxpool.Pool {
	return poolFor(t, pgtest.URL(t, "reliability-big", bigSetup))
}

func runArchive(t *testing.T, db *pgxpool.Pool, store *blob.Bucket, part string, progress func(archive.Event)) (*archive.Report, error) {
	t.Helper()
	return archive.Run(context.Background(), db, store, governance.Default(), archive.Options{
		Now: func() time.Time { return fixedNow }, Partitions: []archive.Partition{{Name: part}}, Progress: progress})
}

// notDetached fails unless part is still attached with its original rows and no detach
// or drop was logged.
func notDetached(t *testing.T, db *pgxpool.Pool, part string, want digest) {
	t.Helper()
	if !isPartition(t, db, part) {
		t.Fatalf("%s was detached after a failed export", part)
	}
	if got := digestOf(t, db, part, ""); got != want {
		t.Fatalf("%s changed: %v, was %v", part, got, want)
	}
	if n := count(t, db, `SELECT count(*) FROM lsos_archive.events WHERE step IN ('detach', 'drop')`); n != 0 {
		t.Fatalf("%d detach/drop events after a failed export", n)
	}
}

// TestTerminatedBackendDuringExport terminates (pg_terminate_backend, from another
// connection) the backend streaming a partition to the store while the export runs:
// the run fails naming the export step, nothing is detached, and a re-run archives the
// partition with every row.
func TestTerminatedBackendDuringExport(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := bigDB(t)
	const part = "public.big_2024_01"
	parent := digestOf(t, db, "big", "")
	partD := digestOf(t, db, part, "")
	killer, err := pgx.Connect(ctx, db.Config().ConnConfig.ConnString())
	if err != nil {
		t.Fatal(err)
	}
	defer killer.Close(ctx)
	var once sync.Once
	var terminated int64
	var exportedAtKill int64
	store := openStore(t, t.TempDir())
	_, err = runArchive(t, db, store, part, func(e archive.Event) {
		if e.Step == archive.StepExport && e.Detail == "exporting" {
			once.Do(func() {
				exportedAtKill = e.Rows
				if err := killer.QueryRow(ctx, `SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
					WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend' AND state = 'active') k`).Scan(&terminated); err != nil {
					t.Error(err)
				}
			})
		}
	})
	var se *archive.StepError
	if !errors.As(err, &se) || se.Step != archive.StepExport {
		t.Fatalf("run with a terminated backend = %v; want a StepError at export", err)
	}
	if terminated != 1 {
		t.Fatalf("terminated %d backends; want the exporting one", terminated)
	}
	t.Logf("error after the termination: %v", err)
	if !strings.Contains(err.Error(), "export query") || !strings.Contains(err.Error(), "terminated") || !strings.Contains(err.Error(), "connection") {
		t.Fatalf("error does not say the connection was lost or terminated: %v", err)
	}
	notDetached(t, db, part, partD)
	if ms, _ := archive.ReadManifests(ctx, store, ""); len(ms) != 0 {
		t.Fatalf("%d manifests after a failed export", len(ms))
	}
	db.Reset() // drop pooled connections the termination may have broken
	if rep, err := runArchive(t, db, store, part, nil); err != nil {
		t.Fatalf("re-run: %v (%+v)", err, rep)
	}
	checkArchived(t, db, store, "big", part, parent, partD)
	t.Logf("FIGURE backend terminated after %d of %d rows exported; re-run archived all %d", exportedAtKill, partD.Rows, partD.Rows)
}

// TestDiskFullFileStore archives into a file:// store on a 256 KiB tmpfs: the upload
// fails with "no space left on device", nothing is detached and no manifest is written;
// once space is back the re-run completes. Where mount is not permitted (not root), the
// same fault is injected by an S3-compatible store that refuses writes past 256 KiB.
func TestDiskFullFileStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := bigDB(t)
	const part = "public.big_2024_02"
	parent := digestOf(t, db, "big", "")
	partD := digestOf(t, db, part, "")
	dir := t.TempDir()
	var store *blob.Bucket
	var full *faultyBackend
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", dir).CombinedOutput(); err == nil {
		t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
		// The store is on its own filesystem: OpenBucket's default (temporary files beside
		// the objects) is what lets it write at all, see TestFileStoreOnAnotherFilesystem.
		store = openStore(t, dir)
	} else {
		t.Logf("mount tmpfs not permitted (%v: %s); injecting ENOSPC from an S3 store instead", err, bytes.TrimSpace(out))
		store, full = s3Store(t)
		full.limit.Store(256 << 10)
	}
	_, err := runArchive(t, db, store, part, nil)
	var se *archive.StepError
	if !errors.As(err, &se) || se.Step != archive.StepExport || !strings.Contains(err.Error(), "no space left on device") {
		t.Fatalf("run into a full store = %v; want a StepError at export saying no space left on device", err)
	}
	notDetached(t, db, part, partD)
	if ms, _ := archive.ReadManifests(ctx, store, ""); len(ms) != 0 {
		t.Fatalf("%d manifests in a full store", len(ms))
	}
	if full != nil {
		full.limit.Store(0)
	} else if err := exec.Command("umount", dir).Run(); err != nil {
		t.Fatal(err)
	}
	if rep, err := runArchive(t, db, store, part, nil); err != nil {
		t.Fatalf("re-run with space: %v (%+v)", err, rep)
	}
	checkArchived(t, db, store, "big", part, parent, partD)
	t.Logf("FIGURE disk full (tmpfs %v): %d rows refused with ENOSPC, nothing detached, re-run archived all", full == nil, partD.Rows)
}

// faultyBackend is an in-memory S3 backend that can truncate every object it stores
// (silently, as a broken proxy or disk might) or refuse objects above a size limit.
// These faults stay on gofakes3: a real server cannot be made to corrupt what it stores
// or to run out of space at a chosen size (the disk-full test prefers a small tmpfs when
// it may mount one).
type faultyBackend struct {
	gofakes3.Backend
	truncate atomic.Bool
	limit    atomic.Int64
	puts     atomic.Int64
}

func (f *faultyBackend) PutObject(b, k string, meta map[string]string, in io.Reader, size int64, c *gofakes3.PutConditions) (gofakes3.PutObjectResult, error) {
	f.puts.Add(1)
	data, err := io.ReadAll(in)
	if err != nil {
		return gofakes3.PutObjectResult{}, err
	}
	if l := f.limit.Load(); l > 0 && int64(len(data)) > l {
		return gofakes3.PutObjectResult{}, errors.New("write " + k + ": no space left on device")
	}
	if f.truncate.Load() && strings.HasSuffix(k, ".parquet") {
		data = data[:len(data)/2]
	}
	return f.Backend.PutObject(b, k, meta, bytes.NewReader(data), int64(len(data)), c)
}

func s3Store(t *testing.T) (*blob.Bucket, *faultyBackend) {
	t.Helper()
	be := &faultyBackend{Backend: s3mem.New()}
	if err := be.CreateBucket("archive"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(be).Server())
	t.Cleanup(srv.Close)
	b, err := parquetio.OpenBucket(context.Background(), "s3://archive?region=us-east-1&endpoint="+srv.URL+
		"&use_path_style=true&request_checksum_calculation=when_required&response_checksum_validation=when_required")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b, be
}

// TestTruncatingStore archives into an S3-compatible store that silently keeps only
// half of every data object: verification catches it, the run fails with ErrVerify
// before anything is detached and no manifest is written; with a healthy store the
// re-run completes.
func TestTruncatingStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := bigDB(t)
	const part = "public.big_2024_03"
	parent := digestOf(t, db, "big", "")
	partD := digestOf(t, db, part, "")
	store, be := s3Store(t)
	be.truncate.Store(true)
	_, err := runArchive(t, db, store, part, nil)
	if !errors.Is(err, archive.ErrVerify) {
		t.Fatalf("run into a truncating store = %v; want ErrVerify", err)
	}
	notDetached(t, db, part, partD)
	if ms, _ := archive.ReadManifests(ctx, store, ""); len(ms) != 0 {
		t.Fatalf("%d manifests after a failed verification", len(ms))
	}
	be.truncate.Store(false)
	if rep, err := runArchive(t, db, store, part, nil); err != nil {
		t.Fatalf("re-run: %v (%+v)", err, rep)
	}
	checkArchived(t, db, store, "big", part, parent, partD)
	t.Logf("FIGURE truncating store: %d uploads, first verification failed, nothing detached", be.puts.Load())
}

// TestFileStoreOnAnotherFilesystem archives into a file:// store on another filesystem
// than $TMPDIR (a mounted archive volume: the usual production layout). fileblob's
// default writes each object to a temporary file in $TMPDIR and renames it into the
// store, which fails there with "invalid cross-device link"; parquetio.OpenBucket
// stages objects beside their final name instead (no_tmp_dir), so the archive completes
// with every row. The store is a tmpfs mounted for the test, else a directory under
// /dev/shm when that is another filesystem than $TMPDIR; where neither exists, a child
// process whose $TMPDIR does not exist writes and reads back an object through
// OpenBucket (a store staging in $TMPDIR cannot write there either).
func TestFileStoreOnAnotherFilesystem(t *testing.T) {
	t.Parallel()
	db := bigDB(t)
	const part = "public.big_2024_03"
	parent := digestOf(t, db, "big", "")
	partD := digestOf(t, db, part, "")
	dir := otherFilesystemDir(t)
	if dir == "" {
		dir = t.TempDir()
		cmd, o, e := spawn(t, modeUpload, childArgs{URL: db.Config().ConnConfig.ConnString(), Dir: dir}, "TMPDIR="+dir+"/no-such-tmpdir")
		if r := waitResult(t, cmd, o, e); r.Err != "" {
			t.Fatalf("upload to a file:// store with $TMPDIR unusable: %s", r.Err)
		}
		t.Log("no second filesystem here (mount not permitted, /dev/shm absent or the same filesystem): checked an upload with $TMPDIR unusable instead")
		return
	}
	if rep, err := runArchive(t, db, openStore(t, dir), part, nil); err != nil {
		t.Fatalf("archive to a file:// store on another filesystem than $TMPDIR: %v (%+v)", err, rep)
	}
	checkArchived(t, db, openStore(t, dir), "big", part, parent, partD)
	t.Logf("FIGURE file:// store on another filesystem (%s): %d rows archived", dir, partD.Rows)
}

// otherFilesystemDir returns a new directory on another filesystem than os.TempDir(): a
// 64 MiB tmpfs mounted for the test (root), else one under /dev/shm when that is another
// filesystem; "" when neither is possible.
func otherFilesystemDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", dir).CombinedOutput()
	if err == nil {
		t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
		return dir
	}
	t.Logf("mount tmpfs not permitted (%v: %s)", err, bytes.TrimSpace(out))
	tmp, okT := device(os.TempDir())
	shm, okS := device("/dev/shm")
	if !okT || !okS || tmp == shm {
		return ""
	}
	d, err := os.MkdirTemp("/dev/shm", "lsos-reliability-")
	if err != nil {
		return ""
	}
	t.Cleanup(func() { _ = os.RemoveAll(d) })
	return d
}

func device(path string) (uint64, bool) {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return 0, false
	}
	return uint64(st.Dev), true
}

// uploadProbe writes a 1 MiB object into the file:// store dir through OpenBucket and
// reads it back.
func uploadProbe(ctx context.Context, dir string) error {
	b, err := parquetio.OpenBucket(ctx, "file://"+dir)
	if err != nil {
		return err
	}
	defer b.Close()
	data := bytes.Repeat([]byte("lsos"), 1<<18)
	if err := b.WriteAll(ctx, "probe/object.bin", data, nil); err != nil {
		return err
	}
	got, err := b.ReadAll(ctx, "probe/object.bin")
	if err != nil {
		return err
	}
	if !bytes.Equal(got, data) {
		return errors.New("probe object read back differs")
	}
	return nil
}

// TestCrashArchiveMidUpload SIGKILLs an archive worker while it is streaming a
// 150 000-row partition to a file:// store (inside the export progress hook, after the
// first 65 536 rows): no object is committed, the partition is attached and unchanged,
// and the re-run archives every row exactly once.
func TestCrashArchiveMidUpload(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := pgtest.URL(t, "reliability-big", bigSetup)
	db := poolFor(t, url)
	const part = "public.big_2024_01"
	parent := digestOf(t, db, "big", "")
	partD := digestOf(t, db, part, "")
	storeDir := t.TempDir()

	runKilled(t, modeArchive, childArgs{URL: url, Dir: storeDir, Partitions: []string{part}, KillAt: "after:exporting", Now: fixedNow})

	notDetached(t, db, part, partD)
	store := openStore(t, storeDir)
	if ms, _ := archive.ReadManifests(ctx, store, ""); len(ms) != 0 {
		t.Fatalf("%d manifests after a kill mid-upload", len(ms))
	}
	if rep, err := runArchive(t, db, store, part, nil); err != nil {
		t.Fatalf("re-run: %v (%+v)", err, rep)
	}
	checkArchived(t, db, store, "big", part, parent, partD)
	t.Logf("FIGURE archive kill mid-upload: %d rows archived once after the re-run", partD.Rows)
}
