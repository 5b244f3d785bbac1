// Package parquetio streams the result of a PostgreSQL query into a Parquet object in a
// [gocloud.dev/blob] bucket and reads such objects back. The archive package uses it for
// partition archival; retention uses it for tenant exports.
//
// # Writing
//
// [Export] runs a query with a per-column result format (binary wherever a native
// mapping exists), builds the Parquet schema at run time from the PostgreSQL column types
// in the query's column order, and writes zstd-compressed row groups bounded by
// [Options.RowGroupRows] and [Options.RowGroupBytes], so memory stays flat whatever the
// size of the source. Rows are decoded in the calling goroutine straight into typed
// column buffers, and encoded and compressed in a second one, a few 512-row batches
// apart, so that the export keeps pace with the server on two cores. The file layout is
// written by this package (see fileWriter: parquet-go's value-at-a-time writer cost as
// much CPU as the server's scan); the schema, format structures, encoders and codec are
// parquet-go's, and parquet-go reads the objects back. Text, JSON and numeric columns
// are dictionary-encoded where values repeat (PLAIN for a row group whose values are
// mostly distinct); data pages are version 2. The SHA-256 and size of the object are computed while it is
// written; per-column null counts and, for ordered non-text types, min/max go into the
// [Result]. Text, bytea and JSON min/max are never recorded, so no data value that might
// be sensitive reaches a manifest or catalog.
//
// # Type mapping
//
//	smallint, integer        INT32 (INT(16|32) logical)
//	bigint                   INT64
//	real, double precision   FLOAT, DOUBLE
//	boolean                  BOOLEAN
//	text, varchar, char, name STRING
//	numeric                  STRING holding the exact decimal text (also NaN, ±Infinity)
//	date                     DATE (days since 1970-01-01)
//	timestamp                TIMESTAMP(MICROS, not adjusted to UTC)
//	timestamptz              TIMESTAMP(MICROS, adjusted to UTC)
//	time                     TIME(MICROS)
//	uuid                     UUID
//	json, jsonb              JSON (jsonb in its normalised text form)
//	bytea                    BYTE_ARRAY
//	anything else            STRING holding PostgreSQL's text output (arrays, interval,
//	                         inet, enums, ranges, …); the original type is kept in the
//	                         file metadata and a restore casts the text back.
//
// Infinite dates and timestamps are stored as the largest and smallest value of the
// physical type. Finite values that do not fit the Parquet epoch (dates after year
// 5 874 000, timestamps after year 294 000) are rejected with [ErrOutOfRange].
//
// The column list with PostgreSQL types is stored in the file's key/value metadata under
// [MetaColumns], so a file is self-describing without its manifest.
//
// # Reading
//
// [Open] downloads an object to a temporary file (hashing it on the way), and returns a
// [Reader] that streams rows as values [github.com/jackc/pgx/v5.CopyFrom] accepts.
// [Verify] re-reads an object and checks its checksum and row count.
//
// # Stores
//
// [OpenBucket] opens file://, s3:// and mem:// URLs with the drivers the program
// registered (this package imports none, so the AWS SDK is linked only by programs that
// import gocloud.dev/blob/s3blob); see its documentation for the parameters an
// S3-compatible endpoint needs. Package archive exposes it as archive.OpenBucket.
package parquetio
