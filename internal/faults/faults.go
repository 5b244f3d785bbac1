// Package faults carries fault-injection crash points from the module's own tests into
// the archive package, without a public API for them. The archive package's own tests
// set them directly (archive/export_test.go); tests of other packages, such as
// internal/reliability, which run archive.Run or archive.PurgeTenant in a child process
// and kill it at the worst moment, put a crash point on the context.
package faults

import (
	"context"
	"errors"
)

// ErrCrash is returned when a crash point stops a run.
var ErrCrash = errors.New("archive: stopped by a fault-injection crash point")

type crashKey struct{}

// WithCrashAfter returns a context that makes archive.Run stop right after the named
// step ("export", "verify", "record", "detach", "drop") or archive.PurgeTenant after the
// named point ("rewrite", "switch"), returning an error that wraps ErrCrash.
func WithCrashAfter(ctx context.Context, point string) context.Context {
	return context.WithValue(ctx, crashKey{}, point)
}

// CrashAfter returns the crash point set on ctx, or "".
func CrashAfter(ctx context.Context) string {
	s, _ := ctx.Value(crashKey{}).(string)
	return s
}
