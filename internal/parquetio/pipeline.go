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

// batch is a set of rows whose byte values live in arena (pgx reuses its read buffer,
// so every variable-length value is copied here before the row leaves the reader).
type batch struct {
	rows    []parquet.Row
	vals    []parquet.Value
	arena   []byte
	pending int // raw bytes
}

// pipeline decodes rows in the calling goroutine and writes them (page encoding and
// zstd compression, the costly part) in another, so that on two or more cores the
// export keeps pace with the server's row stream.
func pipeline(ctx context.Context, rows pgx.Rows, cols []Column, pw *parquet.Writer, stats *statsSet, counter *valueCounter, opts Options) (int64, error) {
	free := make(chan *batch, inFlight)
	full := make(chan *batch, inFlight)
	for range inFlight {
		free <- &batch{rows: make([]parquet.Row, 0, batchRows), vals: make([]parquet.Value, batchRows*len(cols))}
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
				if _, err = pw.WriteRows(b.rows); err != nil {
					err = fmt.Errorf("parquetio: write rows: %w", err)
				} else {
					total += int64(len(b.rows))
					if pending += b.pending; pending >= opts.RowGroupBytes {
						if err = pw.Flush(); err != nil {
							err = fmt.Errorf("parquetio: flush row group: %w", err)
						}
						pending = 0
					}
					if err == nil && opts.Progress != nil {
						opts.Progress(total)
					}
				}
			}
			b.rows, b.arena, b.pending = b.rows[:0], b.arena[:0], 0
			free <- b
		}
		done <- result{total, err}
	}()

	n := len(cols)
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
		if counter != nil {
			counter.add(raw[counter.col])
		}
		i := len(b.rows)
		row := b.vals[i*n : (i+1)*n : (i+1)*n]
		for c, v := range raw {
			b.pending += len(v)
			pv, err := toValue(cols[c].Kind, v, &b.arena)
			if err != nil {
				readErr = fmt.Errorf("parquetio: column %s: %w", cols[c].Name, err)
				break
			}
			if v == nil {
				row[c] = pv.Level(0, 0, c)
			} else {
				row[c] = pv.Level(0, 1, c)
			}
			stats.add(c, pv, v == nil)
		}
		if readErr != nil {
			break
		}
		b.rows = append(b.rows, row)
		if len(b.rows) == batchRows {
			send()
		}
	}
	if readErr == nil {
		if err := rows.Err(); err != nil {
			readErr = readError(ctx, err)
		}
	}
	if b != nil && len(b.rows) > 0 && readErr == nil {
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
