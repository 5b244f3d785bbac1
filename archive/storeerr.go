package archive

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/lsos/lsosgov/internal/parquetio"
)

// Store defaults.
const (
	// DefaultRequestTimeout bounds each request to the store ([StoreOptions.RequestTimeout]).
	DefaultRequestTimeout = parquetio.DefaultRequestTimeout
	// DefaultStoreAttempts is how often a transient store failure is tried.
	DefaultStoreAttempts = 3
	// DefaultStoreBackoff is the wait before the second attempt; it doubles for each
	// further one, up to a minute.
	DefaultStoreBackoff = time.Second
	// DefaultLeftoverAge is the age after which an interrupted upload is swept.
	DefaultLeftoverAge = 24 * time.Hour
)

// Sentinel errors of the object store.
var (
	// ErrStore: a request to the object store failed ([*StoreError]). Nothing was detached
	// or dropped.
	ErrStore = errors.New("archive: object store request failed")
	// ErrUnreadable: the store could not be read, so an archive could not be checked; it
	// says nothing about the archive itself (compare [ErrCorrupt]). Matched by a
	// [*StoreError] whose Op is "read".
	ErrUnreadable = errors.New("archive: the store could not be read")
	// ErrCorrupt is [ErrVerify]: the object was read and does not match its record.
	ErrCorrupt = ErrVerify
)

// StoreError says that a request to the object store failed: the store could not be
// reached, refused the request or did not answer within [StoreOptions.RequestTimeout].
// errors.Is(err, ErrStore) is true; a failed read also matches [ErrUnreadable].
type StoreError struct {
	// Op is "upload", "read", "write manifest", "list" or "delete".
	Op string
	// Partition and ID name the archive concerned (empty when none).
	Partition string
	ID        string
	// Key is the object key.
	Key string
	// Store names the store ([StoreOptions.URL] without its query; empty when unknown).
	Store string
	// Permanent is set for failures that retrying cannot fix (access denied, a missing
	// bucket, a bad request or credentials); transient ones (no answer, refused
	// connection, server errors, throttling) were retried Attempts times.
	Permanent bool
	Attempts  int
	Err       error
}

func (e *StoreError) Error() string {
	what := e.Key
	if e.Partition != "" {
		what = e.Partition
		if e.Err == nil || !strings.Contains(e.Err.Error(), e.Key) {
			what += " (" + e.Key + ")" // the driver's message names the key otherwise
		}
	}
	store := "the store"
	if e.Store != "" {
		store = "store " + e.Store
	}
	kind, hint := "transient", "check that the store is up and reachable, then re-run"
	if e.Permanent {
		kind, hint = "permanent", "check the store URL, the bucket name and the credentials, then re-run"
	}
	if e.Op == "read" {
		hint = "the archive was not checked; " + hint
	}
	tries := ""
	if !e.Permanent && e.Attempts > 1 {
		tries = fmt.Sprintf(" after %d attempts", e.Attempts)
	}
	return fmt.Sprintf("archive: %s failed: %s %s%s (%s error): %v; %s", store, e.Op, what, tries, kind, e.Err, hint)
}

func (e *StoreError) Unwrap() error { return e.Err }

// Is matches ErrStore, and ErrUnreadable for a failed read.
func (e *StoreError) Is(target error) bool {
	return target == ErrStore || (target == ErrUnreadable && e.Op == "read")
}

// StoreOptions bound and retry the requests [Run] makes to the object store.
type StoreOptions struct {
	// URL names the store in errors and logs; only its scheme, host and path are ever
	// printed (never its query, which may carry credentials). Optional.
	URL string
	// RequestTimeout bounds each store request, and each step of a streaming upload or
	// download: a store that does not answer within it (a frozen server) fails the
	// request as a transient error (default DefaultRequestTimeout; negative is an error).
	// Against a store that never answers, a run fails after about (Attempts + 1) ×
	// RequestTimeout plus the backoffs: the leftover sweep, then each attempt.
	RequestTimeout time.Duration
	// Attempts is how many times a step is tried when the store fails transiently
	// (default DefaultStoreAttempts; 1: no retry; negative is an error). Permanent
	// failures are never retried.
	Attempts int
	// Backoff is the wait before the second attempt, doubled for each further one up to
	// a minute (default DefaultStoreBackoff; negative is an error).
	Backoff time.Duration
	// Sleep waits d or until ctx is done (default: a timer); tests inject it.
	Sleep func(ctx context.Context, d time.Duration) error
	// LeftoverAge: temporary objects (a file:// store's "*.tmp" files) and, with
	// SweepUploads, unfinished multipart uploads under Options.Prefix older than this
	// are removed at the start of a run (default DefaultLeftoverAge; negative is an
	// error). Keep it well above the longest export, so another worker's upload in
	// progress is never touched.
	LeftoverAge time.Duration
	// SweepUploads, when set, aborts the unfinished multipart uploads under prefix
	// started before before, returning how many it aborted. gocloud.dev/blob has no
	// such call, and this package links no store SDK: for S3 use
	// github.com/lsos/lsosgov/archive/s3sweep.AbortStale.
	SweepUploads func(ctx context.Context, store *blob.Bucket, prefix string, before time.Time) (int, error)
	// BeforeWrite, when set, is called before each upload with the store driver's writer
	// types (gocloud's blob.WriterOptions.BeforeWrite). For S3 use
	// github.com/lsos/lsosgov/archive/s3upload.Lean, which keeps an upload's memory to
	// two parts whatever the object's size.
	BeforeWrite func(asFunc func(any) bool) error
}

func (o StoreOptions) withDefaults() (StoreOptions, error) {
	if o.RequestTimeout < 0 || o.Attempts < 0 || o.Backoff < 0 || o.LeftoverAge < 0 {
		return o, fmt.Errorf("archive: StoreOptions: RequestTimeout (%s), Attempts (%d), Backoff (%s) and LeftoverAge (%s) must not be negative (zero gives the default)", o.RequestTimeout, o.Attempts, o.Backoff, o.LeftoverAge)
	}
	if o.RequestTimeout == 0 {
		o.RequestTimeout = DefaultRequestTimeout
	}
	if o.Attempts == 0 {
		o.Attempts = DefaultStoreAttempts
	}
	if o.Backoff == 0 {
		o.Backoff = DefaultStoreBackoff
	}
	if o.LeftoverAge == 0 {
		o.LeftoverAge = DefaultLeftoverAge
	}
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	return o, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// backoff is the wait before attempt n+1 (n >= 1).
func (o StoreOptions) backoff(n int) time.Duration {
	d := o.Backoff
	for i := 1; i < n && d < time.Minute; i++ {
		d *= 2
	}
	return min(d, time.Minute)
}

// storeLabel is u without its query, fragment or user info: what may be printed.
func storeLabel(u string) string {
	if u == "" {
		return ""
	}
	p, err := url.Parse(u)
	if err != nil || p.Scheme == "" {
		return "(store URL)"
	}
	return p.Scheme + "://" + p.Host + p.Path
}

// permanent reports whether a store failure cannot be fixed by trying again.
func permanent(err error) bool {
	if errors.Is(err, parquetio.ErrStall) {
		return false
	}
	switch gcerrors.Code(err) {
	case gcerrors.NotFound, gcerrors.PermissionDenied, gcerrors.InvalidArgument,
		gcerrors.FailedPrecondition, gcerrors.Unimplemented, gcerrors.AlreadyExists:
		return true
	case gcerrors.Internal, gcerrors.ResourceExhausted, gcerrors.DeadlineExceeded, gcerrors.Canceled:
		return false
	}
	// The driver did not classify it (s3blob leaves most S3 codes Unknown): look at
	// what it wrapped, through interfaces, so that no store SDK is linked here.
	var api interface{ ErrorCode() string }
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "AccessDenied", "AllAccessDisabled", "InvalidAccessKeyId", "SignatureDoesNotMatch",
			"AuthorizationHeaderMalformed", "ExpiredToken", "InvalidToken", "TokenRefreshRequired",
			"MissingSecurityHeader", "AccountProblem", "NoSuchBucket", "InvalidBucketName",
			"InvalidArgument", "InvalidRequest", "InvalidAccessPoint", "PermanentRedirect", "MethodNotAllowed":
			return true
		case "InternalError", "ServiceUnavailable", "SlowDown", "RequestTimeout", "Throttling",
			"ThrottlingException", "RequestTimeTooSkewed":
			return false
		}
	}
	var st interface{ HTTPStatusCode() int }
	if errors.As(err, &st) {
		c := st.HTTPStatusCode()
		switch {
		case c == 408 || c == 429 || c >= 500:
			return false
		case c >= 400:
			return true
		}
	}
	var dns *net.DNSError
	if errors.As(err, &dns) && dns.IsNotFound {
		return true
	}
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	var cv *tls.CertificateVerificationError
	if errors.As(err, &ua) || errors.As(err, &he) || errors.As(err, &ci) || errors.As(err, &cv) {
		return true
	}
	// Refused or reset connections, timeouts and anything unknown: transient, tried a
	// bounded number of times.
	return false
}

// storeStep runs fn, a step that talks to the store, and classifies its store failure:
// a transient one is tried again (fn is idempotent) with exponential backoff up to
// Store.Attempts times, a permanent one is not. The returned error is then a
// *StoreError naming the partition and the store.
func (r *runner) storeStep(ctx context.Context, db DB, m *Manifest, step Step, op string, fn func(context.Context) error) error {
	so := r.opts.Store
	for attempt := 1; ; attempt++ {
		err := fn(ctx)
		var pe *parquetio.StoreError
		if err == nil || !errors.As(err, &pe) {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err() // the caller gave up; not the store's fault
		}
		se := &StoreError{Op: pe.Op, Partition: m.Partition, ID: m.ID, Key: pe.Key, Store: storeLabel(so.URL),
			Permanent: permanent(pe.Err), Attempts: attempt, Err: pe.Err}
		if se.Op == "" {
			se.Op = op
		}
		if se.Permanent || attempt >= so.Attempts {
			return se
		}
		d := so.backoff(attempt)
		r.event(ctx, db, Event{Partition: m.Partition, ID: m.ID, Step: step,
			Detail: fmt.Sprintf("store failed (transient, attempt %d of %d), trying again in %s: %v", attempt, so.Attempts, d, pe.Err)}, true)
		if err := so.Sleep(ctx, d); err != nil {
			return err
		}
	}
}

// writeManifest writes m's manifest to the store under the request deadline, retrying
// transient failures.
func (r *runner) writeManifest(ctx context.Context, db DB, m *Manifest, step Step) error {
	return r.storeStep(ctx, db, m, step, "write manifest", func(ctx context.Context) error {
		err := parquetio.WithTimeout(ctx, r.opts.Store.RequestTimeout, func(ctx context.Context) error {
			return writeManifest(ctx, r.store, m)
		})
		if err != nil && ctx.Err() == nil {
			return &parquetio.StoreError{Op: "write manifest", Key: manifestKey(m.Object), Err: err}
		}
		return err
	})
}
