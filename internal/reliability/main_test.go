package reliability

import (
	"os"
	"testing"

	"github.com/lsos/lsosgov/internal/pgtest"
)

// TestMain runs the tests, or, when the harness re-executes this binary as a child
// process (envChild set), the child's scenario, which ends by SIGKILLing itself at the
// chosen point.
func TestMain(m *testing.M) {
	if mode := os.Getenv(envChild); mode != "" {
		os.Exit(runChild(mode))
	}
	// The S3-compatible test server (gofakes3) takes any credentials; set here because
	// t.Setenv cannot be used by parallel tests.
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": "us-east-1"} {
		_ = os.Setenv(k, v)
	}
	pgtest.Main(m)
}
