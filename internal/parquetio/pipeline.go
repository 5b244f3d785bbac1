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
	"github.com/parquet-go/parquet-go"
)

// batchRows is the number of rows handed from the reading goroutine to the writing one.
const batchRows = 512

// inFlight is the number of batches between the two goroutines: it bounds the memory the
// pipeline holds besides the row group being built.
const inFlight = 4

// batch is a set of rows held column by column (values[c] are column c's values, one per
// row), whose byte values live in arena (pgx reuses its read buffer, so every
// variable-length value is copied here before the row leaves the reader).
type batch struct {
	values  [][]parquet.Value
	rows    int
	arena   []byte
	pending int // raw bytes
}

// pipeline decodes rows in the calling goroutine and writes them (page encoding and
// zstd compression, the costly part) in another, so that on two or more cores the
// export keeps pace with the server's row stream.
//
// Rows are handed to the writer column by column (ColumnWriter.WriteRowValues): the
// row-wise Writer.WriteRows splits every row back into its columns, copying each value
// twice more (BenchmarkExport's client-cpu-s/op shows the difference).
func pipeline(ctx context.Context, rows pgx.Rows, cols []Column, pw *parquet.Writer, stats *statsSet, counter *valueCounter, opts Options) (int64, error) {
	n := len(cols)
	free := make(chan *batch, inFlight)
	full := make(chan *batch, inFlight)
	for range inFlight {
		b := &batch{values: make([][]parquet.Value, n)}
		for c := range b.values {
			b.values[c] = make([]parquet.Value, 0, batchRows)
		}
		free <- b
	}
	type result struct {
		total int64
		err   error
	}
	done := make(chan result, 1)
	go func() {
		var total int64
		var err error
		pending, grouped := 0, 0
		for b := range full {
			if err == nil {
				// A row group ends at exactly RowGroupRows rows (the batch is split
				// there), or after the batch that takes it past RowGroupBytes.
				for from := 0; from < b.rows && err == nil; {
					to := min(b.rows, from+opts.RowGroupRows-grouped)
					err = writeColumns(pw.ColumnWriters(), b, from, to)
					grouped += to - from
					if err == nil && grouped >= opts.RowGroupRows {
						err = flushGroup(pw)
						pending, grouped = 0, 0
					}
					from = to
				}
				if err == nil {
					total += int64(b.rows)
					if pending += b.pending; pending >= opts.RowGroupBytes && grouped > 0 {
						err = flushGroup(pw)
						pending, grouped = 0, 0
					}
				}
				if err == nil && opts.Progress != nil {
					opts.Progress(total)
				}
			}
			for c := range b.values {
				b.values[c] = b.values[c][:0]
			}
			b.rows, b.arena, b.pending = 0, b.arena[:0], 0
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
				b.values[c] = append(b.values[c], parquet.NullValue().Level(0, 0, c))
				stats.nulls[c]++
				continue
			}
			b.pending += len(v)
			pv, err := convert(wires[c], sizes[c], v, &b.arena)
			if err != nil {
				readErr = fmt.Errorf("parquetio: column %s (%s): %w", cols[c].Name, cols[c].Kind, err)
				break
			}
			b.values[c] = append(b.values[c], pv.Level(0, 1, c))
			stats.add(c, pv)
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

// writeColumns writes rows [from, to) of a batch into the current row group, one column
// at a time.
func writeColumns(cws []*parquet.ColumnWriter, b *batch, from, to int) error {
	if len(cws) != len(b.values) {
		return fmt.Errorf("parquetio: the writer has %d columns, the batch %d", len(cws), len(b.values))
	}
	for c, vals := range b.values {
		if _, err := cws[c].WriteRowValues(vals[from:to]); err != nil {
			return fmt.Errorf("parquetio: write column %d: %w", c, err)
		}
	}
	return nil
}

// flushGroup ends the current row group.
func flushGroup(pw *parquet.Writer) error {
	if err := pw.Flush(); err != nil {
		return fmt.Errorf("parquetio: flush row group: %w", err)
	}
	return nil
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
