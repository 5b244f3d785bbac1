package lint

import (
	"fmt"
	"strings"

	amigrate "ariga.io/atlas/sql/migrate"

	"github.com/lsos/lsosgov/governance"
)

// checksums reports files that differ from atlas.sum (checksum-mismatch) and versions
// without a usable rollback (missing-rollback).
func (r *reviewer) checksums() {
	first := &verFile{Name: "atlas.sum"}
	if len(r.dir.Files) > 0 {
		first = &r.dir.Files[0]
	}
	if r.dir.Sum == nil {
		r.add(first, -1, 0, governance.CheckChecksumMismatch, "CS104", "atlas.sum",
			"the directory has no atlas.sum: run `govctl migrate hash` and commit it, so edits to applied files are caught")
	} else {
		var want amigrate.HashFile
		if err := want.UnmarshalText(r.dir.Sum); err != nil {
			r.add(first, -1, 0, governance.CheckChecksumMismatch, "CS105", "atlas.sum",
				fmt.Sprintf("atlas.sum cannot be read (%v): regenerate it with `govctl migrate hash`", err))
		} else {
			files := make([]amigrate.File, len(r.dir.Raw))
			for i, f := range r.dir.Raw {
				files[i] = amigrate.NewLocalFile(f.Name, f.Data)
			}
			got, _ := amigrate.NewHashFile(files)
			listed := map[string]string{}
			for _, e := range want {
				listed[e.N] = e.H
			}
			present := map[string]bool{}
			edited := false // hashes chain: after the first edit every later sum differs too
			for _, e := range got {
				present[e.N] = true
				f := r.fileByRaw(e.N)
				h, ok := listed[e.N]
				switch {
				case !ok:
					r.add(f, -1, 0, governance.CheckChecksumMismatch, "CS102", e.N,
						fmt.Sprintf("%s is not in atlas.sum: run `govctl migrate hash` after adding a migration", e.N))
				case h != e.H && !edited:
					edited = true
					r.add(f, -1, 0, governance.CheckChecksumMismatch, "CS101", e.N,
						fmt.Sprintf("%s differs from its atlas.sum checksum: a migration was edited after it was hashed; restore it and add a new version instead", e.N))
				}
			}
			for _, e := range want {
				if !present[e.N] {
					r.add(first, -1, 0, governance.CheckChecksumMismatch, "CS103", e.N,
						fmt.Sprintf("atlas.sum lists %s but the file is missing: restore it (applied migrations must stay in the directory)", e.N))
				}
			}
		}
	}
	for i := range r.dir.Files {
		f := &r.dir.Files[i]
		if r.o.Since != "" && f.Version <= r.o.Since {
			continue
		}
		down := strings.TrimSuffix(f.Name, ".up.sql") + ".down.sql"
		switch {
		case !f.HasDown:
			r.add(f, -1, 0, governance.CheckMissingRollback, "MR101", f.Version,
				fmt.Sprintf("no rollback file: add %s with the DDL that undoes this version (policy §3)", down))
		case onlyComments(f.Down):
			r.add(f, -1, 0, governance.CheckMissingRollback, "MR102", f.Version,
				fmt.Sprintf("%s has no statement: write the DDL that undoes this version, or a failing guard for an irreversible step", down))
		}
	}
}

// fileByRaw returns the version a raw file belongs to (a placeholder when none).
func (r *reviewer) fileByRaw(name string) *verFile {
	for i := range r.dir.Files {
		f := &r.dir.Files[i]
		if f.Name == name || strings.TrimSuffix(f.Name, ".up.sql")+".down.sql" == name {
			return f
		}
	}
	return &verFile{Name: name}
}

// onlyComments reports whether sql holds no statement.
func onlyComments(sql string) bool {
	return skipSpaceAndComments(sql, 0, len(sql)) >= len(sql)
}
