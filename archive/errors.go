package archive

import (
	"errors"
	"fmt"
	"github.com/lsos/lsosgov/internal/faults"
)

// Sentinel errors.
var (
	// ErrNotFound: no catalog entry has the given id.
	ErrNotFound = errors.New("archive: not found")
	// ErrVerify: an object or a partition did not match what was recorded; nothing was
	// detached or dropped.
	ErrVerify = errors.New("archive: verification failed")
	// ErrInTransaction: Run was given a transaction; DETACH … CONCURRENTLY cannot run in one.
	ErrInTransaction = errors.New("archive: Run needs a pool or a connection, not a transaction (DETACH PARTITION CONCURRENTLY cannot run inside a transaction block)")
)

// StepError says which lifecycle step failed for which partition.
type StepError struct {
	Partition string
	ID        string
	Step      Step
	Err       error
}

func (e *StepError) Error() string {
	var se *StoreError
	if errors.As(e.Err, &se) {
		return se.Error() // names the partition, the store and what to check
	}
	return fmt.Sprintf("archive: %s (%s) step %s: %v; fix the cause and re-run: completed steps are not repeated", e.Partition, e.ID, e.Step, e.Err)
}

func (e *StepError) Unwrap() error { return e.Err }

// errCrash is returned when a fault-injection crash point stops a run (tests only).
var errCrash = faults.ErrCrash
