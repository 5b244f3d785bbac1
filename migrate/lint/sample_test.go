package lint

import (
	"io/fs"

	"github.com/lsos/lsosgov/examples/lsos"
)

func lsosMigrations() fs.FS { return lsos.Migrations() }
