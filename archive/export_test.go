package archive

// Fault-injection hooks for tests in package archive_test: the crash points are not
// part of the public API.

// ErrCrash is returned when a crash point stops a run.
var ErrCrash = errCrash

// Purge crash points.
const (
	PurgeCrashAfterRewrite = purgeCrashAfterRewrite
	PurgeCrashAfterSwitch  = purgeCrashAfterSwitch
)

// WithCrashAfter returns o set to stop the run right after step.
func WithCrashAfter(o Options, step Step) Options {
	o.crashAfter = step
	return o
}

// WithPurgeCrashAfter returns o set to stop the purge after point.
func WithPurgeCrashAfter(o PurgeOptions, point string) PurgeOptions {
	o.crashAfter = point
	return o
}
