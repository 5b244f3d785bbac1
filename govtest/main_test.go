package govtest_test

import (
	"testing"

	"github.com/lsos/lsosgov/govtest"
)

func TestMain(m *testing.M) { govtest.Main(m) }
