package parquetio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
)

// DefaultRequestTimeout bounds one store request when the caller sets no timeout.
const DefaultRequestTimeout = 2 * time.Minute

// ErrStall marks a store request that did not complete within its deadline: the store
// accepted the connection but did not answer (a frozen or overloaded server).
var ErrStall = errors.New("parquetio: store request timed out")

// StoreError says that a request to the object store failed: the store could not be
// written or read, which says nothing about the data. Op is "upload", "read", "write" or
// "list"; Err is the driver's error (gcerrors.Code works on it).
type StoreError struct {
	Op  string
	Key string
	Err error
}

func (e *StoreError) Error() string {
	return fmt.Sprintf("parquetio: store %s %s: %v", e.Op, e.Key, e.Err)
}

func (e *StoreError) Unwrap() error { return e.Err }

// watchdog cancels a context when one store call (a Write, a Read, a Close) runs longer
// than its deadline. A streaming upload or download is many calls: each must make
// progress within the deadline, so a long transfer is fine and a stalled one is not.
// It is used from one goroutine at a time.
type watchdog struct {
	t *time.Timer
	d time.Duration
}

func newWatchdog(cancel context.CancelCauseFunc, d time.Duration) *watchdog {
	if d <= 0 {
		return nil
	}
	cause := fmt.Errorf("%w: no answer within %s", ErrStall, d)
	w := &watchdog{d: d, t: time.AfterFunc(time.Hour, func() { cancel(cause) })}
	w.t.Stop()
	return w
}

func (w *watchdog) arm() {
	if w != nil {
		w.t.Reset(w.d)
	}
}

func (w *watchdog) disarm() {
	if w != nil {
		w.t.Stop()
	}
}

// stallCause returns err marked with ErrStall when ctx was cancelled by a watchdog.
func stallCause(ctx context.Context, err error) error {
	if c := context.Cause(ctx); errors.Is(c, ErrStall) && !errors.Is(err, ErrStall) {
		return fmt.Errorf("%w (%v)", c, err)
	}
	return err
}

// guardedWriter arms the watchdog around each Write and remembers the first error.
type guardedWriter struct {
	w   io.Writer
	wd  *watchdog
	err error
}

func (g *guardedWriter) Write(p []byte) (int, error) {
	g.wd.arm()
	n, err := g.w.Write(p)
	g.wd.disarm()
	if err != nil && g.err == nil {
		g.err = err
	}
	return n, err
}

// guardedReader arms the watchdog around each Read.
type guardedReader struct {
	r  io.Reader
	wd *watchdog
}

func (g *guardedReader) Read(p []byte) (int, error) {
	g.wd.arm()
	n, err := g.r.Read(p)
	g.wd.disarm()
	return n, err
}

// WithTimeout runs fn, one store request, under a deadline of d (none when d <= 0); an
// expired deadline is reported as ErrStall.
func WithTimeout(ctx context.Context, d time.Duration, fn func(context.Context) error) error {
	if d <= 0 {
		return fn(ctx)
	}
	rctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	wd := newWatchdog(cancel, d)
	wd.arm()
	err := fn(rctx)
	wd.disarm()
	if err != nil {
		return stallCause(rctx, err)
	}
	return nil
}

// missing reports whether err says that key is not in an accessible bucket (the object
// is gone), as opposed to a bucket that is missing or cannot be reached.
func missing(ctx context.Context, bucket *blob.Bucket, err error, timeout time.Duration) bool {
	if gcerrors.Code(err) != gcerrors.NotFound {
		return false
	}
	ok := false
	_ = WithTimeout(ctx, timeout, func(ctx context.Context) error {
		var err error
		ok, err = bucket.IsAccessible(ctx)
		return err
	})
	return ok
}
