package archive

import (
	"strings"
	"testing"

	"github.com/lsos/lsosgov/internal/apicheck"
)

// TestSealedAPI: no exported identifier of the package (type, alias, func, method,
// field, var, const) mentions a type or value of an internal package.
func TestSealedAPI(t *testing.T) {
	leaks, err := apicheck.Leaks(".")
	if err != nil {
		t.Fatal(err)
	}
	if len(leaks) > 0 {
		t.Fatalf("the exported API mentions internal packages:\n%s", strings.Join(leaks, "\n"))
	}
}
