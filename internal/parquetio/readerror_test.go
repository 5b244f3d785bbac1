package parquetio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// TestReadErrorNamesALostConnection: an export stream cut by a terminated backend
// (FATAL 57P01, or the bare EOF pgx reports when the socket closes first) is reported as
// a lost/terminated connection, keeping the cause for errors.Is/As; other errors and a
// cancelled context keep their own wording.
func TestReadErrorNamesALostConnection(t *testing.T) {
	ctx := context.Background()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	fatal := &pgconn.PgError{Severity: "FATAL", Code: "57P01", Message: "terminating connection due to administrator command"}
	for _, c := range []struct {
		ctx  context.Context
		err  error
		want string
	}{
		{ctx, fatal, "server terminated the connection (SQLSTATE 57P01"},
		{ctx, fmt.Errorf("receive message: %w", io.ErrUnexpectedEOF), "connection to the server lost or terminated"},
		{ctx, &pgconn.PgError{Severity: "ERROR", Code: "22P02", Message: "invalid input"}, "read export query: ERROR: invalid input"},
		{cancelled, io.ErrUnexpectedEOF, "read export query: cancelled"},
	} {
		got := readError(c.ctx, c.err)
		if !strings.Contains(got.Error(), c.want) || !errors.Is(got, c.err) {
			t.Errorf("readError(%v) = %q; want it to contain %q and wrap the cause", c.err, got, c.want)
		}
	}
}
