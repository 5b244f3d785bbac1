// Package classify gives every column of every table a data class of policy §5
// (operational, sensitive, audit or artifact), with the source that decided it, a
// confidence and a reason. Nobody can gate on what is not classified: the migration
// review's unclassified-column and sensitive-change checks, retention's inference of
// audit tables and the test kit's assertions all read the [Catalog] built here.
//
//	cat, err := classify.Classify(ctx, pool, governance.Default(), classify.Options{})
//	if err != nil {
//		return err
//	}
//	for _, c := range cat.Columns {
//		fmt.Println(c.Object(), c.Class, c.Source) // public.users.email sensitive rule
//	}
//	for _, f := range cat.Findings(governance.Default()) {
//		fmt.Println(f) // the columns nothing settled: unclassified-column
//	}
//
// pool is any [DB]: a *pgxpool.Pool, *pgx.Conn or pgx.Tx.
//
// # Sources and precedence
//
// [Classify] reads the system catalogs and decides each column by the first source that
// applies, in this order:
//
//  1. The policy's column class (classes.columns, "table.column" or
//     "schema.table.column"): [SourcePolicy].
//  2. A column annotation: an lsos:class=<class> tag anywhere in the column comment
//     ([ParseAnnotation]): [SourceAnnotation].
//  3. A name or type rule that finds sensitive data: e-mail, password, token, secret,
//     API key, OAuth, phone, IP address (and inet/cidr types), postal address, identity
//     and card numbers: [SourceRule].
//  4. Value sampling, when a detector finds sensitive values: [SourceSampling].
//  5. The table's class: the policy's classes.tables, then an lsos:class tag in the table
//     comment. A table class is the default for the table's columns, but 3 and 4 still win
//     over it, so an IP address in an audit log is sensitive.
//  6. Specific column rules: object keys and URLs of stored files are artifact.
//  7. Table-name rules: audit_* tables and *_log tables of security or privileged actions
//     (the name says so, or the table has actor and action columns) are audit; other logs,
//     such as a report delivery log, are operational, since §5 defines audit data as
//     "security and privileged action logs"; tables of tokens, sessions and credentials
//     are sensitive; file, asset and branding tables are artifact; tenant, location,
//     campaign, keyword, ranking, snapshot, crawl, review and summary tables are
//     operational.
//  8. Structural rules: identifiers, timestamps, flags, numbers with a scale and enum
//     labels are operational.
//  9. Nothing: the policy's classes.default (operational in the seed), unsettled.
//     [Catalog.Findings] reports such columns as unclassified-column, for a human to
//     confirm by adding a policy class or an annotation.
//
// An explicit column class (1 or 2) is never overridden, not even by a detector.
// [Decide] and [ClassifyColumn] apply every source but sampling without a database, so
// the migration review can classify the columns a migration adds.
//
// # What is read
//
// Classify reads ordinary and partitioned tables (a partition's columns are its
// parent's) of every schema except pg_*, information_schema and the SDK's own schemas:
// those for which [governance.Policy.IsSDKSchema] holds (the policy's sdk.prefix, lsos_
// by default, and sdk.schemas), which hold the SDK's bookkeeping, not the application's
// data. [Options].Schemas names the schemas to read instead, SDK schemas included.
//
// # Sampling
//
// Columns that can hold text (strings, json, arrays, and bigint or integral numeric not
// named as identifiers) and that no explicit class or sensitive rule settled are sampled:
// one query per table reads at most [Options.SampleSize] rows (default 200), each value
// cast to text and cut to MaxValueBytes. Large tables are read with
// TABLESAMPLE SYSTEM (p) REPEATABLE (seed) LIMIT n, p sized from the planner's row
// estimate (partitions summed; the relation's pages when never analysed) and at least 16
// pages; small tables with a plain LIMIT. Nothing ever scans a whole table, so the time
// to classify does not grow with table size (see BENCHMARKS.md).
//
// Rows of soft-deleted tenants (tenants.deleted_at set, or a soft-deleted record in
// lsos_retention.offboarding; see package retention) are left out of the sample of every
// tenant-owned table and of the tenants table itself: their values are on their way out
// and must not be read again, even to classify a column.
//
// The detectors ([Detect], [IsEmail], [IsJWT], [IsBearerToken], [IsAPIKey],
// [IsPasswordHash], [IsCardNumber], [IsPhoneNumber], [IsIPAddress]) test whole values
// and the tokens of free text, and do not allocate. Strong shapes (e-mail addresses,
// JWTs, bearer tokens, provider API keys, salted password hashes) settle a column with
// one match; weak ones (card numbers, phone numbers, IP addresses), which identifiers and
// version strings can resemble, need half the sampled values.
//
// # No values in any output
//
// Sampled values never leave the sampling code. Reasons, findings, logs and the catalog
// carry counts and shapes only ("38/40 sampled values look like e-mail addresses");
// database errors from the sampling query keep their code and message but drop detail
// and context, which can quote row values.
//
// # Writing back and comparing
//
// [Annotate] writes each settled class into the column comment as an lsos:class tag,
// keeping the existing text and replacing an older tag, so the classification lives with
// the schema. [Diff] compares two catalogs (before and after a migration): columns added
// or removed, classes changed and sensitive columns retyped; [Changes.Findings] turns the
// ones that touch sensitive data into sensitive-change findings, since §10 requires a
// security review for them.
//
// # Use from tests and govctl
//
// The test kit offers [github.com/lsos/lsosgov/govtest.RequireAllClassified] and
// [github.com/lsos/lsosgov/govtest.RequireClass]. The govctl classify command prints the
// catalog as a table or as JSON,
// {"columns":[{"table":"public.users","column":"email","class":"sensitive","source":"rule","reason":"…"}],"tables":[…]},
// and writes comments with --annotate.
package classify
