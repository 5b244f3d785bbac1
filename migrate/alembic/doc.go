// Package alembic makes Alembic projects a migration source lsosgov understands
// (policy §2: "use versioned migration tooling (Alembic)"). It reads a script
// directory in Go, with no Python, checks its revision graph, rollbacks and
// checksums, tells where a database stands from its alembic_version table, and —
// with the real Alembic installed — renders each revision's SQL in offline mode,
// runs the up/down round trip, and imports the history as a native migration
// directory.
//
//	proj, err := alembic.Open("migrations/alembic") // the directory with alembic.ini
//	if err != nil {
//		return err // names the revision file and line that cannot be read
//	}
//	for _, f := range proj.Findings(policy) { // alembic-graph, missing-rollback, checksum-mismatch
//		fmt.Println(f)
//	}
//	if err := alembic.RequireHead(ctx, pool, proj); err != nil {
//		return err // *NotAtHeadError: pending or unknown revisions
//	}
//
// # Reading a script directory
//
// [Open] follows alembic.ini (script_location, version_locations,
// recursive_version_locations; %(here)s) or takes a script directory itself;
// [OpenFS] reads an embed.FS. Each versions/*.py file is tokenized — strings in
// every quoting, tuples, lists, None, comments, continuation lines — and its
// top-level assignments read: revision, down_revision (a string, None, or a tuple for
// a merge), branch_labels, depends_on; the module docstring gives the message and
// the Create Date header. A file that cannot be read is a *[FileError] naming the
// file and line ([ErrSyntax], [ErrNoRevision], [ErrBadValue],
// [ErrDuplicateRevision]). [Project.Graph] has the heads, the bases and a stable
// apply order (topological from the bases; ties by Create Date, then file name).
//
// # Findings
//
// [Project.Findings] returns [governance.Finding]s: alembic-graph ([CheckGraph]:
// several heads, a dangling down_revision or depends_on, a cycle), missing-rollback
// (no downgrade(), or one that is empty, only pass, or only raises, for a revision
// whose upgrade() does something) and checksum-mismatch (a revision edited after its
// checksum was recorded in lsos-alembic.sum: see [Project.RecordSum] and
// [Project.Rehash]; [Project.VerifySum] is the start-up check). A revision accepts a
// finding with
// `# lsos:allow <check> reason="…"`.
//
// # Directives
//
// Governance directives are Python comments, in the docstring or the code, spelled as
// in a native file after the prefix: `# lsos:no-transaction`,
// `# lsos:allow lock-risk reason="…"`. A directive inside upgrade() or downgrade()
// applies to that direction only. Rendered SQL carries them as a leading `-- lsos:`
// block ([RenderedRevision.File]).
//
// # Status and start-up
//
// [Project.Status] reads alembic_version (several rows when branches are applied
// separately; an absent table means nothing applied): the current revisions, the
// pending ones in apply order, and current revisions the directory does not know.
// [RequireHead] turns that into an error for a service that must not start on a
// schema that is behind or unknown.
//
// # Running Alembic
//
// [Project.Render], [RoundTrip], [Project.Import], [Project.Upgrade] and
// [Project.Downgrade] run the Alembic command ([Config.Command]; default `alembic`
// from PATH, else `python3 -m alembic`) with the project's alembic.ini. When it is
// not installed they return a *[ToolNotFoundError] ([ErrToolNotFound]). Render runs
// `alembic upgrade base:heads --sql` and `alembic downgrade <head>:base --sql` once
// each and cuts the output at Alembic's "-- Running upgrade a -> b" step markers,
// dropping BEGIN/COMMIT and the version-table statements; a step in which Alembic
// committed before a statement (an autocommit_block()) is marked no-transaction.
// Online commands get the database URL in LSOS_ALEMBIC_URL and as `-x url=…`
// ([Config.URLEnv], [Config.URLArg]); env.py reads either (see
// examples/lsos-alembic/alembic/env.py).
//
// # Round trip and import
//
// [RoundTrip] is the policy §3 up/down test: each revision upgraded in apply order,
// then downgraded alone in reverse order (`alembic downgrade <rev>@<down>`), the
// schema compared with a snapshot taken before its upgrade; a *[RoundTripError]
// names the revision whose downgrade does not restore it. [Project.Import] writes a
// native directory (one version per revision, timestamps from Create Date, atlas.sum)
// that loads with migrate.Load; [Project.Native] builds the same in memory
// ([NativeDir.FS] loads with migrate.LoadFS, [NativeDir.Source] maps its lines back
// to the revision files), which is how the review reads an Alembic project.
//
// The package is pure Go (no cgo): it builds with CGO_ENABLED=0.
package alembic
