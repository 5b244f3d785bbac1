package parquetio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// batchRows is the number of rows handed from the reading goroutine to the writing one.
const batchRows = 512

// inFlight is the number of batches between the two goroutines: it bounds the memory the
// pipeline holds besides the row group being built.
const inFlight = 4

// batch is a set of rows held column by column, decoded into the typed column data
// they are written from.
type batch struct {
	cols    []colData
	rows    int
	pending int // raw bytes
}

// pipeline decodes rows in the calling goroutine and writes them (dictionary, page
// encoding and zstd compression, the costly part) in another, so that on two or more
// cores the export keeps pace with the server's row stream. It returns the rows written;
// the caller closes fw.
func pipeline(ctx context.Context, rows pgx.Rows, cols []Column, fw *fileWriter, counter *valueCounter, opts Options) (int64, error) {
	n := len(cols)
	free := make(chan *batch, inFlight)
	full := make(chan *batch, inFlight)
	for range inFlight {
		free <- &batch{cols: make([]colData, n)}
	}
	type result struct {
		total int64
		err   error
	}
	done := make(chan result, 1)
	go func() {
		var total int64
		var err error
		pending := 0
		for b := range full {
			if err == nil {
				// A row group ends at exactly RowGroupRows rows (the batch is split
				// there), or after the batch that takes it past RowGroupBytes.
				for from := 0; from < b.rows && err == nil; {
					to := min(b.rows, from+opts.RowGroupRows-fw.rows())
					fw.add(b, from, to)
					if fw.rows() >= opts.RowGroupRows {
						err = fw.flush()
						pending = 0
					}
					from = to
				}
				if err == nil {
					total += int64(b.rows)
					if pending += b.pending; pending >= opts.RowGroupBytes && fw.rows() > 0 {
						err = fw.flush()
						pending = 0
					}
				}
				if err == nil && opts.Progress != nil {
					opts.Progress(total)
				}
			}
			for c := range b.cols {
				b.cols[c].reset()
			}
			b.rows, b.pending = 0, 0
			free <- b
		}
		done <- result{total, err}
	}()

	wires, sizes := make([]wire, n), make([]int, n)
	for c, col := range cols {
		wires[c], sizes[c] = wireOf(col.Kind)
	}
	var readErr error
	var b *batch
	send := func() {
		full <- b
		b = nil
	}
	for rows.Next() {
		if b == nil {
			select {
			case b = <-free:
			case <-ctx.Done():
				readErr = ctx.Err()
			}
			if readErr != nil {
				break
			}
		}
		raw := rows.RawValues()
		if len(raw) != n {
			readErr = fmt.Errorf("parquetio: a row of %d columns, want %d", len(raw), n)
			break
		}
		if counter != nil {
			counter.add(raw[counter.col])
		}
		for c, v := range raw {
			if v == nil {
				b.cols[c].appendNull()
				continue
			}
			b.pending += len(v)
			if err := b.cols[c].appendRaw(wires[c], sizes[c], v); err != nil {
				readErr = fmt.Errorf("parquetio: column %s (%s): %w", cols[c].Name, cols[c].Kind, err)
				break
			}
		}
		if readErr != nil {
			break
		}
		if b.rows++; b.rows == batchRows {
			send()
		}
	}
	if readErr == nil {
		if err := rows.Err(); err != nil {
			readErr = readError(ctx, err)
		}
	}
	if b != nil && b.rows > 0 && readErr == nil {
		send()
	}
	close(full)
	res := <-done
	if readErr != nil {
		return 0, readErr
	}
	return res.total, res.err
}

// readError says why the export query's row stream ended early. pgx reports a backend
// terminated mid-stream (pg_terminate_backend, a server restart) as the FATAL 57P0x
// error when it read it, or as a bare "unexpected EOF" when the socket closed first;
// both mean the connection is gone, which is what the caller needs to know.
func readError(ctx context.Context, err error) error {
	var pgErr *pgconn.PgError
	var netErr net.Error
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("parquetio: read export query: cancelled (%v): %w", context.Cause(ctx), err)
	case errors.As(err, &pgErr) && strings.HasPrefix(pgErr.Code, "57P"):
		return fmt.Errorf("parquetio: read export query: the server terminated the connection (SQLSTATE %s: pg_terminate_backend, shutdown or restart); nothing was committed, re-run the export: %w", pgErr.Code, err)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF), errors.As(err, &netErr):
		return fmt.Errorf("parquetio: read export query: connection to the server lost or terminated mid-stream (pg_terminate_backend, a restart or the network); nothing was committed, re-run the export: %w", err)
	}
	return fmt.Errorf("parquetio: read export query: %w", err)
}
