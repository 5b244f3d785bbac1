package main

import (
	"strings"
	"testing"

	"github.com/lsos/lsosgov/govtest"
)

// TestStoreCredentialsNeverPrinted: a store URL carrying credentials, in every form the
// issue names, never reaches govctl's output, whatever fails.
func TestStoreCredentialsNeverPrinted(t *testing.T) {
	url := govtest.URL(t)
	const secret = "SEKRETxyz0123456789"
	for _, store := range []string{
		"s3://bucket?secret_access_key=" + secret + "&bogus=1",
		"s3://bucket?access_key_id=AKIA" + secret + "&region=x",
		"s3://bucket?session_token=" + secret,
		"s3://KEY:" + secret + "@bucket?region=x",
		"s3://KEY:" + secret + "@bu%cket",
	} {
		code, stdout, stderr := migrateCLI(t, "--database-url", url, "archive", "run", "--store", store, "--table", "public.ranking_snapshots", "--now", "2026-12-01T00:00:00Z")
		if code == 0 {
			t.Errorf("archive run with %q succeeded; want a failure", store)
		}
		if strings.Contains(stdout+stderr, secret) {
			t.Errorf("the secret of %q was printed:\n%s%s", store, stdout, stderr)
		}
	}
}
