package governance

// Check names of migration review findings that come from Atlas's sqlcheck analyzers
// (ariga.io/atlas/sql/sqlcheck) and duplicate none of the documented checks. An Atlas
// diagnostic that duplicates one (DS102/DS103 drop table/column → destructive-change,
// BC101/BC102 rename → backward-incompatible, MF103/MF104 NOT NULL → backward-incompatible)
// is merged into that finding instead. The finding's code is Atlas's (DS101, MF101, …).
// Like the names of checks.go these are a stable contract: extend, never rename.
const (
	// CheckAtlasDestructive: Atlas "destructive" analyzer, e.g. DS101 drop schema.
	CheckAtlasDestructive = "atlas-destructive"
	// CheckAtlasDataDepend: Atlas "data_depend" analyzer, e.g. MF101 a unique index on
	// existing columns that fails if they hold duplicates, MF102 an index made unique.
	CheckAtlasDataDepend = "atlas-data-depend"
	// CheckAtlasConDrop: Atlas "condrop" analyzer, CD101 a foreign key dropped.
	CheckAtlasConDrop = "atlas-condrop"
	// CheckAtlasIncompatible: Atlas "incompatible" analyzer (BC1xx) when no check of
	// ours covers the diagnostic.
	CheckAtlasIncompatible = "atlas-incompatible"
)

// AtlasChecks lists the check names of Atlas-sourced review findings.
func AtlasChecks() []string {
	return []string{CheckAtlasDestructive, CheckAtlasDataDepend, CheckAtlasConDrop, CheckAtlasIncompatible}
}
