package parquetio

import (
	"reflect"
	"strconv"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/encoding"
)

// Kind is how a PostgreSQL column is carried in Parquet.
type Kind string

// The kinds. KindText holds the exact PostgreSQL text output of any type without a native
// mapping (see the package documentation).
const (
	KindInt16       Kind = "int16"
	KindInt32       Kind = "int32"
	KindInt64       Kind = "int64"
	KindFloat32     Kind = "float32"
	KindFloat64     Kind = "float64"
	KindBool        Kind = "bool"
	KindString      Kind = "string"
	KindNumeric     Kind = "numeric"
	KindDate        Kind = "date"
	KindTimestamp   Kind = "timestamp"
	KindTimestamptz Kind = "timestamptz"
	KindTime        Kind = "time"
	KindUUID        Kind = "uuid"
	KindJSON        Kind = "json"
	KindJSONB       Kind = "jsonb"
	KindBytea       Kind = "bytea"
	KindText        Kind = "text-fallback"
)

// PostgreSQL built-in type OIDs (stable across versions).
const (
	oidBool        = 16
	oidBytea       = 17
	oidName        = 19
	oidInt8        = 20
	oidInt2        = 21
	oidInt4        = 23
	oidText        = 25
	oidJSON        = 114
	oidFloat4      = 700
	oidFloat8      = 701
	oidBPChar      = 1042
	oidVarchar     = 1043
	oidDate        = 1082
	oidTime        = 1083
	oidTimestamp   = 1114
	oidTimestamptz = 1184
	oidNumeric     = 1700
	oidUUID        = 2950
	oidJSONB       = 3802
)

func kindOf(oid uint32) Kind {
	switch oid {
	case oidInt2:
		return KindInt16
	case oidInt4:
		return KindInt32
	case oidInt8:
		return KindInt64
	case oidFloat4:
		return KindFloat32
	case oidFloat8:
		return KindFloat64
	case oidBool:
		return KindBool
	case oidText, oidVarchar, oidBPChar, oidName:
		return KindString
	case oidNumeric:
		return KindNumeric
	case oidDate:
		return KindDate
	case oidTimestamp:
		return KindTimestamp
	case oidTimestamptz:
		return KindTimestamptz
	case oidTime:
		return KindTime
	case oidUUID:
		return KindUUID
	case oidJSON:
		return KindJSON
	case oidJSONB:
		return KindJSONB
	case oidBytea:
		return KindBytea
	}
	return KindText
}

// binary reports whether the column is read in PostgreSQL's binary format; numeric and
// the text fallback are read as text, which is their exact representation.
func (k Kind) binary() bool { return k != KindNumeric && k != KindText }

// ordered reports whether min/max are recorded for the kind: numbers and times only, so
// that no free-text value (possibly sensitive) reaches a manifest.
func (k Kind) ordered() bool {
	switch k {
	case KindInt16, KindInt32, KindInt64, KindFloat32, KindFloat64, KindDate,
		KindTimestamp, KindTimestamptz, KindTime:
		return true
	}
	return false
}

// dictionary reports whether an export tries to dictionary-encode the kind's values:
// text, JSON and numeric columns of operational tables repeat a few values (URLs,
// statuses, feature sets, amounts) across many rows, and a dictionary page with small
// indexes gives the zstd encoder a fraction of the bytes to compress (on
// BenchmarkExport's table the object is about a quarter of its plain size). The export
// falls back to PLAIN for a column chunk with more than half its values distinct (see
// fileWriter.buildDictionary). Not bytea and uuid, which are mostly unique per row.
func (k Kind) dictionary() bool {
	switch k {
	case KindString, KindJSON, KindJSONB, KindNumeric, KindText:
		return true
	}
	return false
}

func (k Kind) node() parquet.Node {
	switch k {
	case KindInt16:
		return parquet.Int(16)
	case KindInt32:
		return parquet.Int(32)
	case KindInt64:
		return parquet.Int(64)
	case KindFloat32:
		return parquet.Leaf(parquet.FloatType)
	case KindFloat64:
		return parquet.Leaf(parquet.DoubleType)
	case KindBool:
		return parquet.Leaf(parquet.BooleanType)
	case KindDate:
		return parquet.Date()
	case KindTimestamp:
		return parquet.TimestampAdjusted(parquet.Microsecond, false)
	case KindTimestamptz:
		return parquet.TimestampAdjusted(parquet.Microsecond, true)
	case KindTime:
		return parquet.Time(parquet.Microsecond)
	case KindUUID:
		return parquet.UUID()
	case KindJSON, KindJSONB:
		return parquet.JSON()
	case KindBytea:
		return parquet.Leaf(parquet.ByteArrayType)
	}
	return parquet.String()
}

// orderedGroup is a Parquet group whose fields keep the order they were given in:
// parquet.Group is a map and sorts its fields by name, which would reorder the
// PostgreSQL columns.
type orderedGroup []parquet.Field

type orderedField struct {
	parquet.Node
	name string
}

func (f *orderedField) Name() string                           { return f.name }
func (f *orderedField) Value(base reflect.Value) reflect.Value { return reflect.Value{} }

func newOrderedGroup(cols []Column) orderedGroup {
	g := make(orderedGroup, len(cols))
	for i, c := range cols {
		g[i] = &orderedField{Node: parquet.Optional(c.Kind.node()), name: c.Name}
	}
	return g
}

func (g orderedGroup) ID() int                     { return 0 }
func (g orderedGroup) String() string              { return "group" }
func (g orderedGroup) Type() parquet.Type          { return parquet.Group{}.Type() }
func (g orderedGroup) Optional() bool              { return false }
func (g orderedGroup) Repeated() bool              { return false }
func (g orderedGroup) Required() bool              { return true }
func (g orderedGroup) Leaf() bool                  { return false }
func (g orderedGroup) Fields() []parquet.Field     { return g }
func (g orderedGroup) Encoding() encoding.Encoding { return nil }
func (g orderedGroup) Compression() compress.Codec { return nil }
func (g orderedGroup) GoType() reflect.Type {
	fields := make([]reflect.StructField, len(g))
	for i, f := range g {
		fields[i] = reflect.StructField{
			Name: "F" + strconv.Itoa(i),
			Type: f.GoType(),
			Tag:  reflect.StructTag(`parquet:` + strconv.Quote(f.Name())),
		}
	}
	return reflect.StructOf(fields)
}
