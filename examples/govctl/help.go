package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// helpFlag documents one flag of a command.
type helpFlag struct {
	name string // without dashes
	arg  string // value placeholder; "" for a boolean flag
	text string
}

// helpEntry is the --help page of one command or subcommand. The table is kept next to,
// not inside, each command's file so that a command's flag parsing stays untouched; the
// tests compare it with the flags each command really parses.
type helpEntry struct {
	command, sub string
	usage        string
	desc         string
	flags        []helpFlag
	examples     []string
}

func (h helpEntry) topic() string {
	if h.sub == "" {
		return h.command
	}
	return h.command + " " + h.sub
}

// Flags shared by several entries, spelled once.
var (
	hfDir      = helpFlag{"dir", "DIR", "migration directory (default migrations)"}
	hfDevURL   = helpFlag{"dev-url", "URL", "empty scratch database (default: an embedded throwaway PostgreSQL)"}
	hfLockWait = helpFlag{"lock-wait", "D", "how long to wait for another migrator's advisory lock"}
	hfStore    = helpFlag{"store", "URL", "object store URL: file:///dir, s3://bucket?region=…[&endpoint=http://host:9000&use_path_style=true&request_checksum_calculation=when_required&response_checksum_validation=when_required]"}
	hfPrefix   = helpFlag{"prefix", "P", "object key prefix (default lsos-archive)"}
)

// hfAlembic makes a migrate command work on an Alembic project instead of --dir.
var hfAlembic = helpFlag{"alembic", "DIR", "an Alembic project (alembic.ini or its script directory) instead of --dir"}

func nowFlag(what string) helpFlag {
	return helpFlag{"now", "T", what + ", RFC3339 (default: the current time)"}
}

// helpEntries is the help table: every command and subcommand of docs/DESIGN.md's govctl contract.
var helpEntries = []helpEntry{
	{command: "policy", sub: "show", usage: "govctl [--policy FILE] [--format text|json] policy show",
		desc:     "Print the effective policy: the built-in seed policy, or --policy FILE merged over it. Text output is YAML; --format json prints JSON. Use it to see what every other command will enforce.",
		examples: []string{"go run ./examples/govctl policy show", "go run ./examples/govctl --policy lsos-policy.yaml --format json policy show"}},
	{command: "policy", sub: "validate", usage: "govctl policy validate FILE",
		desc:     "Load FILE strictly (unknown keys rejected) merged over the built-in policy and list every problem, one per line on stderr. Exit 0 when valid, 2 when not.",
		examples: []string{"go run ./examples/govctl policy validate lsos-policy.yaml"}},

	{command: "migrate", sub: "new", usage: "govctl migrate new [--dir DIR] [--now T] NAME",
		desc:     "Create an empty forward and rollback migration pair named <version>_NAME.up.sql / .down.sql, the version being the UTC timestamp, and update the directory's atlas.sum.",
		flags:    []helpFlag{hfDir, nowFlag("version timestamp")},
		examples: []string{"go run ./examples/govctl migrate new --dir examples/lsos/migrations add_reviews"}},
	{command: "migrate", sub: "import", usage: "govctl migrate import --alembic DIR --dir OUT",
		desc:     "Convert an Alembic history into the native directory format: one version per revision in apply order, up and down SQL rendered with Alembic's offline mode, the revision's # lsos: comments as its directives, and atlas.sum. The written directory loads with migrate.Load.",
		flags:    []helpFlag{hfAlembic, {"dir", "OUT", "the native directory to write (empty or new)"}},
		examples: []string{"go run ./examples/govctl migrate import --alembic examples/lsos-alembic --dir migrations"}},
	{command: "migrate", sub: "hash", usage: "govctl migrate hash [--dir DIR]",
		desc:     "Recompute atlas.sum over every file of the migration directory after a deliberate edit, then check the directory for static problems.",
		flags:    []helpFlag{hfAlembic, hfDir},
		examples: []string{"go run ./examples/govctl migrate hash --dir migrations"}},
	{command: "migrate", sub: "plan", usage: "govctl migrate plan [--dir DIR] --desired FILE... [--rename table.old:new]... [--name N] [--now T] [--dry-run] [--dev-url URL]",
		desc: "Diff the schema the migration directory builds against the desired schema, SQL or Atlas HCL (files ending in .hcl, declaring schema \"public\"; not mixed with SQL), with Atlas on a scratch database, and write the planned migration pair, or print it with --dry-run. Renames given with --rename replace a drop plus add.",
		flags: []helpFlag{hfDir, hfDevURL, {"desired", "FILE", "desired schema file, SQL or Atlas HCL (.hcl) (repeatable)"}, {"rename", "table.old:new", "a rename instead of drop+add (repeatable)"},
			{"name", "N", "migration name (default planned)"}, nowFlag("version timestamp"), {"dry-run", "", "print the plan without writing it"}},
		examples: []string{"go run ./examples/govctl migrate plan --dir migrations --desired schema.sql --dry-run",
			"go run ./examples/govctl migrate plan --dir migrations --desired schema.hcl --name add_reply"}},
	{command: "migrate", sub: "lint", usage: "govctl [--database-url URL] [--format text|json|markdown] migrate lint [--dir DIR] [--since V] [--now T] [--dev-url URL] [--revisions-schema S]",
		desc: "Review pending migrations against the policy (missing rollback, destructive or backward-incompatible change, lock risk, index impact, tenant isolation, unclassified or sensitive columns, approvals) and Atlas's sqlcheck analyzers by replaying them on a scratch database. With --database-url (the target), a drop's deprecation window runs from when the deprecating version was applied there; without it, from the version timestamp. Exit 1 on error findings.",
		flags: []helpFlag{hfAlembic, hfDir, {"dev-url", "URL", "empty scratch database to replay on (default: an embedded throwaway PostgreSQL)"}, {"since", "V", "review only versions after this one (default: all pending)"}, nowFlag("clock for deprecation windows"),
			{"revisions-schema", "S", "schema of the target's revisions table (default lsos_migrate; with --database-url)"}},
		examples: []string{"go run ./examples/govctl --format markdown migrate lint --dir examples/lsos/migrations"}},
	{command: "migrate", sub: "drift", usage: "govctl --database-url URL migrate drift [--dir DIR] [--dev-url URL] [--ignore-partitions]",
		desc:     "Compare the live database schema with what the migration directory builds and report every difference. Exit 1 on drift.",
		flags:    []helpFlag{hfDir, hfDevURL, {"ignore-partitions", "", "leave out partition children (created at run time by partition maintenance); parents are still compared"}},
		examples: []string{"go run ./examples/govctl --database-url $DATABASE_URL migrate drift --dir examples/lsos/migrations"}},
	{command: "migrate", sub: "up", usage: "govctl --database-url URL migrate up [--dir DIR] [--to V] [--out-of-order] [--window-override REASON] [--lock-wait D] [--now T]",
		desc: "Apply pending versions in order, each in its own transaction (unless marked lsos:no-transaction), under an advisory lock, recording a revision per version. Maintenance-window versions wait for the policy window unless overridden.",
		flags: []helpFlag{hfDir, {"to", "V", "apply up to this version (default: all)"}, {"out-of-order", "", "apply pending versions older than the newest applied one"},
			{"window-override", "REASON", "apply maintenance-window versions outside a window; the reason is recorded"}, hfLockWait, nowFlag("clock for maintenance windows")},
		examples: []string{"go run ./examples/govctl --database-url $DATABASE_URL migrate up --dir examples/lsos/migrations"}},
	{command: "migrate", sub: "down", usage: "govctl --database-url URL migrate down --to V|0 [--dir DIR] [--lock-wait D] [--now T]",
		desc:     "Roll back applied versions newer than --to with their .down.sql files, newest first; --to 0 rolls back everything.",
		flags:    []helpFlag{hfDir, {"to", "V", "roll back to this version (0 = everything); required"}, hfLockWait, nowFlag("clock for maintenance windows")},
		examples: []string{"go run ./examples/govctl --database-url $DATABASE_URL migrate down --dir examples/lsos/migrations --to 0"}},
	{command: "migrate", sub: "status", usage: "govctl --database-url URL [--format text|json] migrate status [--dir DIR]",
		desc:     "List every version of the directory with its state in the database (applied, pending, dirty, missing) and when it was applied.",
		flags:    []helpFlag{hfAlembic, hfDir},
		examples: []string{"go run ./examples/govctl --database-url $DATABASE_URL --format json migrate status --dir examples/lsos/migrations"}},
	{command: "migrate", sub: "verify", usage: "govctl [--database-url URL] migrate verify [--dir DIR]",
		desc:     "Check the files against atlas.sum and, with a database, the applied history against the files' checksums. Exit 1 on any mismatch.",
		flags:    []helpFlag{hfDir},
		examples: []string{"go run ./examples/govctl migrate verify --dir examples/lsos/migrations"}},
	{command: "migrate", sub: "test", usage: "govctl --database-url URL migrate test [--dir DIR]",
		desc:     "Round-trip every version on the given (scratch) database: up, down, and up again, failing on the first version whose rollback does not undo it.",
		flags:    []helpFlag{hfAlembic, hfDir},
		examples: []string{"go run ./examples/govctl --database-url postgres://localhost/scratch migrate test --dir examples/lsos/migrations"}},
	{command: "migrate", sub: "baseline", usage: "govctl --database-url URL migrate baseline --version V --reason R [--dir DIR]",
		desc:     "Mark an existing database as already at version V without running anything, recording the reason; later versions apply normally.",
		flags:    []helpFlag{hfDir, {"version", "V", "the version the database already matches"}, {"reason", "R", "why (recorded)"}},
		examples: []string{"go run ./examples/govctl --database-url $DATABASE_URL migrate baseline --version 20260101000000 --reason \"adopted existing schema\""}},
	{command: "migrate", sub: "resolve", usage: "govctl --database-url URL migrate resolve V --applied|--rolled-back|--force --reason R [--dir DIR]",
		desc: "Settle a dirty version left by a failed non-transactional run after checking the database by hand: --applied (its statements all took effect), --rolled-back (undone; run it again next time) or --force (record as applied without running it). The reason is recorded.",
		flags: []helpFlag{hfDir, {"applied", "", "the dirty version's statements all took effect"}, {"rolled-back", "", "the dirty version was undone by hand; run it again next time"},
			{"force", "", "record a version as applied without running it"}, {"reason", "R", "why (required, recorded)"}},
		examples: []string{"go run ./examples/govctl --database-url $DATABASE_URL migrate resolve 20260301120000 --rolled-back --reason \"index build cancelled, dropped by hand\""}},

	{command: "classify", usage: "govctl --database-url URL [--format text|json|markdown] classify [--sample N] [--no-sample] [--schema a,b] [--annotate]",
		desc: "Classify every column as operational, sensitive, audit or artifact from explicit policy classes, lsos:class annotations, name and type rules and (unless --no-sample) a bounded value sample. Sampled values are never printed. --annotate writes settled classes back into column comments.",
		flags: []helpFlag{{"sample", "N", "rows sampled per table at most"}, {"no-sample", "", "do not sample values"},
			{"schema", "a,b", "comma-separated schemas to read (default: all user schemas)"}, {"annotate", "", "write each settled class into the column comment (lsos:class=…)"}},
		examples: []string{"go run ./examples/govctl --database-url $DATABASE_URL --format json classify --schema public --sample 200"}},

	{command: "integrity", sub: "check", usage: "govctl --database-url URL [--format text|json|markdown] integrity check [--checks a,b] [--tables t1,t2] [--now T] [--budget D] [--parallel N] [--save]",
		desc: "Run schema and data integrity checks (missing FKs on critical relationships, orphaned rows, unscoped uniques, duplicate snapshots, FK indexes, NOT VALID constraints, invalid indexes, missing partitions). Shows progress on a terminal. Exit 1 on error findings or an incomplete run.",
		flags: []helpFlag{{"checks", "a,b", "comma-separated checks (default: all)"}, {"tables", "t1,t2", "comma-separated tables, table or schema.table (default: all)"},
			nowFlag("evaluate at this instant (or a date)"), {"budget", "D", "time budget for the whole run, e.g. 10m (default: none)"},
			{"parallel", "N", "tables scanned at once by data checks (default 4)"}, {"save", "", "store the report in the policy's SDK schema integrity (lsos_integrity.lsos_integrity_runs by default)"}},
		examples: []string{"go run ./examples/govctl --database-url $DATABASE_URL integrity check --checks orphaned-rows,missing-fk --budget 10m"}},

	{command: "retention", sub: "cutoffs", usage: "govctl --database-url URL [--format text|json] retention cutoffs [--now T]",
		desc:     "Print, per table and tenant plan, the retention cutoff the policy gives at --now: rows older than it may be archived or deleted (never below the policy floors).",
		flags:    []helpFlag{nowFlag("evaluate at this instant")},
		examples: []string{"go run ./examples/govctl --database-url $DATABASE_URL retention cutoffs --now 2026-11-26T00:00:00Z"}},
	{command: "retention", sub: "holds", usage: "govctl --database-url URL retention holds add (--tenant ID | --table T) --reason R [--by WHO] [--from T] [--until T] | list [--tenant ID] [--active] [--now T] | release ID [--by WHO] [--now T]",
		desc: "Place, list and release legal holds. A hold on a tenant and/or table stops archive, sweeps and offboarding from removing the data it covers while it is in force; every change is audited.",
		flags: []helpFlag{{"tenant", "ID", "tenant id the hold covers"}, {"table", "T", "table the hold covers (schema.table)"}, {"reason", "R", "why the data is held"},
			{"by", "WHO", "who places or releases the hold (default $USER)"}, {"from", "T", "hold in force from, RFC3339 (default now)"}, {"until", "T", "hold in force until, RFC3339 (default open-ended)"},
			{"active", "", "list only holds in force at --now"}, nowFlag("the current instant")},
		examples: []string{"go run ./examples/govctl --database-url $DATABASE_URL retention holds add --tenant 42 --reason \"litigation 2026-17\"",
			"go run ./examples/govctl --database-url $DATABASE_URL retention holds list --active"}},
	{command: "retention", sub: "sweep", usage: "govctl --database-url URL retention sweep (--store URL | --no-archive) [--table T,T2] [--now T] [--by WHO]",
		desc: "Delete rows older than their cutoff from the row-retained tables (default: the delivery tables), keeping a copy in the store first unless --no-archive; held data is skipped.",
		flags: []helpFlag{{"store", "URL", "archive store URL (file:///dir, s3://bucket?…)"}, {"no-archive", "", "delete without keeping a copy"},
			{"table", "T,T2", "comma-separated tables (default: the delivery tables)"}, nowFlag("evaluate at this instant"), {"by", "WHO", "who runs the sweep (default $USER)"}},
		examples: []string{"go run ./examples/govctl --database-url $DATABASE_URL retention sweep --store file:///var/lib/lsos/archive"}},
	{command: "retention", sub: "install", usage: "govctl --database-url URL retention install",
		desc:     "Create or upgrade the retention bookkeeping schema (holds, offboarding state, audit). Other retention commands do it themselves; this is for provisioning.",
		examples: []string{"go run ./examples/govctl --database-url $DATABASE_URL retention install"}},

	{command: "archive", sub: "run", usage: "govctl --database-url URL [--format text|json] archive run --table T[,T2] --store URL [--prefix P] [--now T] [--dry-run] [--keep-detached] [--request-timeout D]",
		desc: "Archive every partition of the given partitioned tables that is past its retention cutoff: export to the store, verify the object, record the manifest, then detach and drop (or keep with --keep-detached). Held partitions are skipped. Shows progress on a terminal. A store failure stops the run with one line on stderr and exit 1, leaving the partition attached: a permanent one (access denied, bad credentials, a missing bucket) at once, a transient one (no answer within --request-timeout, refused connection, server error) after 3 attempts with backoff. Unfinished uploads older than 24h under the prefix (file:// staging files, S3 multipart uploads) are removed first.",
		flags: []helpFlag{{"table", "T[,T2]", "partitioned table(s) to archive, comma-separated; required"}, hfStore, hfPrefix,
			nowFlag("clock deciding eligibility and holds"), {"dry-run", "", "list what would be archived, change nothing"},
			{"keep-detached", "", "keep detached partitions in the policy's SDK schema archive_detached (lsos_archive_detached by default) instead of dropping them"},
			{"request-timeout", "D", "deadline of each object store request (default 2m): a store that does not answer fails the run"}},
		examples: []string{"go run ./examples/govctl --database-url $DATABASE_URL archive run --table ranking_snapshots,crawl_outputs --store file:///var/lib/lsos/archive --dry-run",
			"go run ./examples/govctl --database-url $DATABASE_URL archive run --table ranking_snapshots --store 's3://archive?region=us-east-1&endpoint=http://127.0.0.1:9000&use_path_style=true&request_checksum_calculation=when_required&response_checksum_validation=when_required'"}},
	{command: "archive", sub: "list", usage: "govctl --database-url URL [--format text|json] archive list [--store URL] [--prefix P]",
		desc:     "List archived partitions with id, table, bounds, rows, bytes, checksum and object key.",
		flags:    []helpFlag{hfStore, hfPrefix},
		examples: []string{"go run ./examples/govctl --database-url $DATABASE_URL --format json archive list"}},
	{command: "archive", sub: "restore", usage: "govctl --database-url URL archive restore --id ID --into TABLE --store URL [--prefix P] [--attach] [--no-indexes]",
		desc:     "Restore an archived partition into a new table after checking the object against its manifest, recreating the partition's indexes (from the manifest) on it; --attach re-attaches it to the original parent with its original bounds.",
		flags:    []helpFlag{{"id", "ID", "archive id (archive list shows them)"}, {"into", "TABLE", "new table to create"}, {"attach", "", "re-attach the table to the archive's parent with its original bounds"}, {"no-indexes", "", "do not recreate the partition's indexes on the new table"}, hfStore, hfPrefix},
		examples: []string{"go run ./examples/govctl --database-url $DATABASE_URL archive restore --id 7f3c… --into restored_snapshots_2024_02 --store file:///var/lib/lsos/archive"}},
	{command: "archive", sub: "verify", usage: "govctl --database-url URL archive verify --id ID --store URL [--prefix P]",
		desc:     "Re-read an archived object and check it against its manifest (size, SHA-256, row count). Exit 1 on a mismatch (\"is CORRUPT\": re-export or restore it from a backup), and exit 1 when the store could not be read (\"NOT CHECKED\": access denied, a missing bucket, a refused connection or no answer; check the store URL, bucket, credentials and network, then verify again).",
		flags:    []helpFlag{{"id", "ID", "archive id"}, hfStore, hfPrefix},
		examples: []string{"go run ./examples/govctl --database-url $DATABASE_URL archive verify --id 7f3c… --store file:///var/lib/lsos/archive"}},

	{command: "tenant", sub: "active-views", usage: "govctl --database-url URL [--format text|json] tenant active-views [--schema S] [--grant ROLE[,ROLE2]] [--drop]",
		desc: "Create or refresh, in their own schema, one view per tenant-owned table (and one of the tenants table) that leaves out the rows of soft-deleted tenants (retention.InstallActiveViews). Views check privileges as the caller. Run it after every migration run; --drop first when a migration drops or retypes a column a view shows.",
		flags: []helpFlag{{"schema", "S", "schema of the views (default: the policy's SDK schema active, lsos_active by default)"}, {"grant", "ROLE[,ROLE2]", "roles given SELECT on the views (they also need SELECT on the tables)"},
			{"drop", "", "drop the views instead"}},
		examples: []string{"go run ./examples/govctl --database-url $DATABASE_URL tenant active-views --grant reporting",
			"go run ./examples/govctl --database-url $DATABASE_URL tenant active-views --drop"}},
	{command: "tenant", sub: "offboard", usage: "govctl --database-url URL [--format text|json] tenant offboard --tenant ID --stage soft-delete|export|hard-delete [--store URL] [--prefix P] [--archive-store URL | --skip-archive-purge REASON] [--now T] [--dry-run] [--by WHO] [--batch-size N]",
		desc: "Run one stage of the staged tenant offboarding: soft-delete (disable access), export (the tenant's data to the store) and, once the export is verified and legal floors have passed, hard-delete in batches. Each stage is audited and resumable. Shows progress on a terminal.",
		flags: []helpFlag{{"tenant", "ID", "tenant id; required"}, {"stage", "S", "soft-delete, export or hard-delete; required"},
			{"store", "URL", "export store URL (file:///dir, s3://bucket?…); required for --stage export"}, {"prefix", "P", "object key prefix in the store (default offboarding)"},
			nowFlag("the current instant"), {"dry-run", "", "print what the stage would do; change nothing"},
			{"by", "WHO", "who runs the offboarding (default $USER)"}, {"batch-size", "N", "rows per delete batch (default: the policy's offboarding.batch_size)"},
			{"archive-store", "URL", "hard-delete: the partition archive store (as given to archive run); after the hard delete the tenant's rows are purged from its archives (archive.PurgeTenant). Required, or --skip-archive-purge, while archives hold the tenant"},
			{"skip-archive-purge", "REASON", "hard-delete: keep the tenant's rows in partition archives (e.g. a preservation order); the reason goes into the audit record"}},
		examples: []string{"go run ./examples/govctl --database-url $DATABASE_URL tenant offboard --tenant 42 --stage export --store file:///var/lib/lsos/exports",
			"go run ./examples/govctl --database-url $DATABASE_URL tenant offboard --tenant 42 --stage hard-delete --dry-run",
			"go run ./examples/govctl --database-url $DATABASE_URL tenant offboard --tenant 42 --stage hard-delete --archive-store file:///var/lib/lsos/archive"}},
}

// findHelp returns the entries for a topic: one entry for "command sub" or a command
// without subcommands, every subcommand's entry for a group.
func findHelp(command, sub string) []helpEntry {
	var out []helpEntry
	for _, h := range helpEntries {
		if h.command == command && (sub == "" || h.sub == sub) {
			out = append(out, h)
		}
	}
	return out
}

// hasSubcommands reports whether command is a group (its entries name a subcommand).
func hasSubcommands(command string) bool {
	for _, h := range helpEntries {
		if h.command == command && h.sub != "" {
			return true
		}
	}
	return false
}

// isHelpFlag reports whether arg asks for help.
func isHelpFlag(arg string) bool {
	return arg == "-h" || arg == "--help" || arg == "-help"
}

// helpRequest decides whether rest (the arguments after the global flags) asks for
// help: `help CMD [SUB]`, `CMD --help` or `CMD SUB --help`. It returns the topic.
func helpRequest(rest []string) (command, sub string, ok bool) {
	if len(rest) >= 2 && rest[0] == "help" {
		command = rest[1]
		if len(rest) >= 3 {
			sub = rest[2]
		}
		return command, sub, true
	}
	if len(rest) < 2 {
		return "", "", false
	}
	for i, a := range rest[1:] {
		if a == "--" {
			break
		}
		if isHelpFlag(a) {
			command = rest[0]
			if i > 0 && !strings.HasPrefix(rest[1], "-") && hasSubcommands(command) {
				sub = rest[1]
			}
			return command, sub, true
		}
	}
	return "", "", false
}

// printHelp writes the help for a topic to w; an unknown topic is a usage error.
func printHelp(w io.Writer, command, sub string) error {
	entries := findHelp(command, sub)
	if len(entries) == 0 {
		topic := strings.TrimSpace(command + " " + sub)
		return usagef("no help for %q: run govctl help for the list of commands", topic)
	}
	if sub == "" && len(entries) > 1 {
		fmt.Fprintf(w, "govctl %s: subcommands (govctl help %s SUB for details)\n\n", command, command)
		for _, h := range entries {
			fmt.Fprintf(w, "  %s\n", h.usage)
		}
		fmt.Fprintf(w, "\nExample:\n  %s\n", entries[0].examples[0])
		return nil
	}
	h := entries[0]
	fmt.Fprintf(w, "usage: %s\n\n%s\n", h.usage, h.desc)
	if len(h.flags) > 0 {
		fmt.Fprintln(w, "\nFlags:")
		flags := append([]helpFlag(nil), h.flags...)
		sort.SliceStable(flags, func(i, j int) bool { return flags[i].name < flags[j].name })
		for _, f := range flags {
			name := "--" + f.name
			if f.arg != "" {
				name += " " + f.arg
			}
			fmt.Fprintf(w, "  %-24s %s\n", name, f.text)
		}
	}
	fmt.Fprintln(w, "\nGlobal flags: --database-url URL (default $DATABASE_URL), --policy FILE, --format text|json|markdown")
	fmt.Fprintln(w, "\nExample:")
	for _, ex := range h.examples {
		fmt.Fprintf(w, "  %s\n", ex)
	}
	return nil
}
