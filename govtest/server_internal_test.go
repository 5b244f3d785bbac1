package govtest

import (
	"testing"

	"github.com/lsos/lsosgov/internal/pgtest"
)

// The public name of the variable is spelled out so the docs show it; it must stay the
// one the harness reads.
func TestEnvURLIsTheHarnesss(t *testing.T) {
	if EnvURL != pgtest.EnvURL {
		t.Fatalf("govtest.EnvURL %q, the harness reads %q", EnvURL, pgtest.EnvURL)
	}
}
