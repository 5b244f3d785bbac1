package parquetio

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/bits"
	"slices"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"
	"github.com/parquet-go/parquet-go/encoding/plain"
	"github.com/parquet-go/parquet-go/encoding/rle"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// fileWriter writes an export's Parquet file from typed column data (colData), a row
// group at a time.
//
// parquet-go's own writer takes values as []parquet.Value, a 24-byte struct with a
// pointer per value, which it splits into definition levels and typed buffers again:
// building those values cost the export about as much CPU as the server spends
// producing the rows, and on two cores the client's CPU decides the throughput (see
// BENCHMARKS.md). This writer lays out the file itself and leaves everything that
// needs knowledge of the format to parquet-go: the schema elements and column orders
// come from a file parquet-go writes for the same schema, the page, column and footer
// structures are parquet-go's format types written with its Thrift encoder, and the
// values go through its PLAIN and RLE encoders and zstd codec. Objects are read back by
// parquet-go (Open, Verify, restore), which checks them.
//
// Layout: one chunk per column and row group; a chunk is an optional dictionary page
// and data pages v2 of at most pageBytes of values (pageRows values for dictionary
// indexes), each with RLE definition levels and zstd-compressed values.
type fileWriter struct {
	w    io.Writer
	off  int64
	cols []Column
	phys []format.Type
	dict []bool // the column may be dictionary-encoded (Kind.dictionary)
	// lean marks columns whose dictionary the last row group gave up on: the next one
	// tries it on a sample first, so a column of unique values costs little.
	lean  []bool
	stats *statsSet
	meta  format.FileMetaData
	codec zstd.Codec
	rg    []colData // the row group being built
	// groupRows and groupBytes are Options.RowGroupRows and RowGroupBytes.
	groupRows, groupBytes int
	reserved              bool // reserve ran
	groups                []format.RowGroup
	numRows               int64
	dictIdx               map[string]int32
	idx                   []int32
	dvals                 colData
	scratch               struct{ values, comp, levels, indexes []byte }
	protocol              thrift.CompactProtocol
}

const (
	// pageBytes caps the uncompressed values of a data page.
	pageBytes = 1 << 20
	// pageRows caps the rows of a dictionary-encoded data page.
	pageRows = 64 * 1024
	// dictSample is the number of values a column that gave up its dictionary in the
	// previous row group is tried on first; it gives up again when more than half are
	// distinct.
	dictSample = 1024
	// createdBy names the writer in the file metadata.
	createdBy = "lsosgov parquetio"
)

// newFileWriter returns a writer of cols to w, recording column statistics in stats.
// opts gives the row group limits and the file's key/value metadata besides the column
// list.
func newFileWriter(w io.Writer, cols []Column, opts Options, stats *statsSet) (*fileWriter, error) {
	opts = opts.withDefaults()
	metadata := opts.Metadata
	colJSON, err := json.Marshal(cols)
	if err != nil {
		return nil, fmt.Errorf("parquetio: encode column list: %w", err)
	}
	kv := []format.KeyValue{{Key: MetaColumns, Value: string(colJSON)}}
	keys := make([]string, 0, len(metadata))
	for k := range metadata {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		kv = append(kv, format.KeyValue{Key: k, Value: metadata[k]})
	}
	// parquet-go derives the schema elements (physical, converted and logical types,
	// repetition) and column orders; an empty file of the same schema carries them.
	var tmpl bytes.Buffer
	pw := parquet.NewWriter(&tmpl, parquet.NewSchema("row", newOrderedGroup(cols)))
	if err := pw.Close(); err != nil {
		return nil, fmt.Errorf("parquetio: derive schema: %w", err)
	}
	f, err := parquet.OpenFile(bytes.NewReader(tmpl.Bytes()), int64(tmpl.Len()))
	if err != nil {
		return nil, fmt.Errorf("parquetio: derive schema: %w", err)
	}
	md := f.Metadata()
	if len(md.Schema) != len(cols)+1 {
		return nil, fmt.Errorf("parquetio: derived schema has %d elements for %d columns", len(md.Schema), len(cols))
	}
	fw := &fileWriter{
		w: w, cols: cols, stats: stats, groupRows: opts.RowGroupRows, groupBytes: opts.RowGroupBytes,
		phys:    make([]format.Type, len(cols)),
		dict:    make([]bool, len(cols)),
		lean:    make([]bool, len(cols)),
		rg:      make([]colData, len(cols)),
		codec:   zstd.Codec{Level: zstd.SpeedFastest},
		dictIdx: map[string]int32{},
		meta: format.FileMetaData{
			Version:          2,
			Schema:           slices.Clone(md.Schema),
			KeyValueMetadata: kv,
			CreatedBy:        createdBy,
			ColumnOrders:     slices.Clone(md.ColumnOrders),
		},
	}
	for i, c := range cols {
		fw.phys[i] = md.Schema[i+1].Type.V
		fw.dict[i] = c.Kind.dictionary() && fw.phys[i] == format.ByteArray
	}
	if err := fw.write([]byte("PAR1")); err != nil {
		return nil, err
	}
	return fw, nil
}

func (fw *fileWriter) write(p []byte) error {
	n, err := fw.w.Write(p)
	fw.off += int64(n)
	if err != nil {
		return fmt.Errorf("parquetio: write: %w", err)
	}
	return nil
}

// rows is the number of rows of the row group being built.
func (fw *fileWriter) rows() int { return fw.rg[0].rows() }

// add appends rows [from, to) of a batch to the row group being built.
func (fw *fileWriter) add(b *batch, from, to int) {
	if !fw.reserved && fw.rows() > 0 {
		fw.reserve()
		fw.reserved = true
	}
	for c := range fw.rg {
		fw.rg[c].appendRows(&b.cols[c], from, to)
	}
}

// reserve sizes the row group's buffers for the rows a row group will hold (by
// Options.RowGroupRows and RowGroupBytes, estimated from the rows so far, a quarter
// more), once an export has more than one batch of rows: growing them by doubling cost a
// tenth of the export's CPU time (copies, and fresh pages cleared by the kernel), and
// left the outgrown buffers as garbage.
func (fw *fileWriter) reserve() {
	rows := fw.rows()
	rowBytes := 0
	for c := range fw.rg {
		d := &fw.rg[c]
		rowBytes += len(d.defs) + 4*len(d.i32) + 8*len(d.i64) + 4*len(d.f32) + 8*len(d.f64) + len(d.bools) + len(d.data) + 4*len(d.ends)
	}
	rowBytes = max(1, rowBytes/rows)
	want := min(fw.groupRows, fw.groupBytes/rowBytes*5/4+1)
	grow := func(have int) int { return max(0, want-have) }
	for c := range fw.rg {
		d := &fw.rg[c]
		d.defs = slices.Grow(d.defs, grow(len(d.defs)))
		switch {
		case len(d.i32) > 0:
			d.i32 = slices.Grow(d.i32, grow(len(d.i32)))
		case len(d.i64) > 0:
			d.i64 = slices.Grow(d.i64, grow(len(d.i64)))
		case len(d.f32) > 0:
			d.f32 = slices.Grow(d.f32, grow(len(d.f32)))
		case len(d.f64) > 0:
			d.f64 = slices.Grow(d.f64, grow(len(d.f64)))
		case len(d.bools) > 0:
			d.bools = slices.Grow(d.bools, grow(len(d.bools)))
		}
		if len(d.ends) > 0 {
			d.ends = slices.Grow(d.ends, grow(len(d.ends)))
		}
		if len(d.data) > 0 {
			d.data = slices.Grow(d.data, max(0, len(d.data)/rows*want*5/4-len(d.data)))
		}
	}
}

// flush writes the row group being built, if it has rows.
func (fw *fileWriter) flush() error {
	n := fw.rows()
	if n == 0 {
		return nil
	}
	rg := format.RowGroup{NumRows: int64(n), FileOffset: fw.off, Ordinal: int16(len(fw.groups))}
	start := fw.off
	for c := range fw.rg {
		cc, err := fw.writeChunk(c, &fw.rg[c])
		if err != nil {
			return err
		}
		rg.Columns = append(rg.Columns, cc)
		rg.TotalByteSize += cc.MetaData.TotalUncompressedSize
		fw.rg[c].reset()
	}
	rg.TotalCompressedSize = fw.off - start
	fw.groups = append(fw.groups, rg)
	fw.numRows += int64(n)
	return nil
}

// close flushes the last row group and writes the footer.
func (fw *fileWriter) close() error {
	if err := fw.flush(); err != nil {
		return err
	}
	fw.meta.NumRows, fw.meta.RowGroups = fw.numRows, fw.groups
	footer, err := thrift.Marshal(&fw.protocol, &fw.meta)
	if err != nil {
		return fmt.Errorf("parquetio: encode footer: %w", err)
	}
	footer = binary.LittleEndian.AppendUint32(footer, uint32(len(footer)))
	return fw.write(append(footer, "PAR1"...))
}

// writeChunk writes column c's chunk of the row group from d.
func (fw *fileWriter) writeChunk(c int, d *colData) (format.ColumnChunk, error) {
	rows := d.rows()
	nonNull := present(d.defs)
	md := format.ColumnMetaData{
		Type:         fw.phys[c],
		PathInSchema: []string{fw.cols[c].Name},
		Codec:        format.Zstd,
		NumValues:    int64(rows),
		Statistics:   fw.chunkStats(c, d, int64(rows-nonNull)),
	}
	cc := format.ColumnChunk{FileOffset: fw.off}
	var sizes pageSizes
	dictionary := fw.dict[c] && nonNull > 0 && fw.buildDictionary(c, d)
	if dictionary {
		md.DictionaryPageOffset = fw.off
		md.Encoding = []format.Encoding{format.Plain, format.RLE, format.RLEDictionary}
		if err := fw.writeDictionaryPage(&sizes); err != nil {
			return cc, err
		}
	} else {
		md.Encoding = []format.Encoding{format.Plain, format.RLE}
	}
	md.DataPageOffset = fw.off
	for r0, v0 := 0, 0; r0 < rows; {
		r1, v1 := fw.pageEnd(d, r0, v0, dictionary)
		if err := fw.writeDataPage(c, d, r0, r1, v0, v1, dictionary, &sizes); err != nil {
			return cc, err
		}
		r0, v0 = r1, v1
	}
	md.TotalUncompressedSize, md.TotalCompressedSize = sizes.raw, sizes.stored
	cc.MetaData = md
	return cc, nil
}

// pageSizes adds up a chunk's page sizes, headers included, as the column metadata
// reports them.
type pageSizes struct{ raw, stored int64 }

// pageEnd returns the end (exclusive) of the data page that starts at row r0, whose
// first present value is v0: the row and the present value after its last.
func (fw *fileWriter) pageEnd(d *colData, r0, v0 int, dictionary bool) (int, int) {
	size, limit := 0, pageBytes
	switch {
	case dictionary:
		size, limit = 4, pageRows*4
	case len(d.i32) > 0, len(d.f32) > 0:
		size = 4
	case len(d.i64) > 0, len(d.f64) > 0:
		size = 8
	case len(d.bools) > 0:
		size = 1
	case len(d.ends) == 0 && len(d.data) > 0:
		size = 16
	}
	r, v, bytes := r0, v0, 0
	for r < len(d.defs) && bytes < limit {
		if d.defs[r] != 0 {
			if size != 0 {
				bytes += size
			} else {
				bytes += 4 + len(d.value(v))
			}
			v++
		}
		r++
	}
	return r, v
}

// buildDictionary dictionary-encodes the present values of byte-array column c into
// fw.dvals (the distinct values) and fw.idx (an index per value), or reports false when
// the column has too many distinct values for a dictionary to pay.
func (fw *fileWriter) buildDictionary(c int, d *colData) bool {
	clear(fw.dictIdx)
	fw.dvals.reset()
	fw.idx = fw.idx[:0]
	n := len(d.ends)
	var last []byte
	lastIdx := int32(-1)
	for i := range n {
		v := d.value(i)
		if lastIdx >= 0 && bytes.Equal(v, last) {
			// Rows come clustered (by tenant, keyword, day): a value often repeats
			// the one before it.
			fw.idx = append(fw.idx, lastIdx)
			continue
		}
		k, ok := fw.dictIdx[string(v)]
		if !ok {
			k = int32(len(fw.dvals.ends))
			fw.dictIdx[string(v)] = k
			fw.dvals.data = append(fw.dvals.data, v...)
			fw.dvals.ends = append(fw.dvals.ends, uint32(len(fw.dvals.data)))
		}
		fw.idx = append(fw.idx, k)
		last, lastIdx = v, k
		// Give up early on a column that looks unique: after a sample when the last
		// row group gave up too, else half way through.
		if seen := i + 1; seen == dictSample && fw.lean[c] && len(fw.dvals.ends) > seen/2 ||
			seen == n/2 && len(fw.dvals.ends) > seen*3/4 {
			fw.lean[c] = true
			return false
		}
	}
	// More than half distinct: a dictionary would hold most of the data again.
	if len(fw.dvals.ends) > n/2 && n >= 64 {
		fw.lean[c] = true
		return false
	}
	fw.lean[c] = false
	return true
}

// writeDictionaryPage writes fw.dvals as a PLAIN dictionary page.
func (fw *fileWriter) writeDictionaryPage(sizes *pageSizes) error {
	values := appendPlainByteArrays(fw.scratch.values[:0], &fw.dvals, 0, len(fw.dvals.ends))
	fw.scratch.values = values
	comp, err := fw.compress(values)
	if err != nil {
		return err
	}
	h := format.PageHeader{
		Type:                 format.DictionaryPage,
		UncompressedPageSize: int32(len(values)),
		CompressedPageSize:   int32(len(comp)),
		DictionaryPageHeader: thrift.New(format.DictionaryPageHeader{NumValues: int32(len(fw.dvals.ends)), Encoding: format.Plain}),
	}
	return fw.writePage(&h, nil, comp, sizes)
}

// writeDataPage writes rows [r0, r1) of d, whose present values are [v0, v1), as a
// data page v2.
func (fw *fileWriter) writeDataPage(c int, d *colData, r0, r1, v0, v1 int, dictionary bool, sizes *pageSizes) error {
	levels, err := (&rle.Encoding{BitWidth: 1}).EncodeLevels(fw.scratch.levels[:0], d.defs[r0:r1])
	if err != nil {
		return fmt.Errorf("parquetio: encode definition levels: %w", err)
	}
	fw.scratch.levels = levels
	values, enc, err := fw.encodeValues(d, v0, v1, dictionary)
	if err != nil {
		return fmt.Errorf("parquetio: encode column %s: %w", fw.cols[c].Name, err)
	}
	comp, err := fw.compress(values)
	if err != nil {
		return err
	}
	h := format.PageHeader{
		Type:                 format.DataPageV2,
		UncompressedPageSize: int32(len(levels) + len(values)),
		CompressedPageSize:   int32(len(levels) + len(comp)),
		DataPageHeaderV2: thrift.New(format.DataPageHeaderV2{
			NumValues:                  int32(r1 - r0),
			NumNulls:                   int32((r1 - r0) - (v1 - v0)),
			NumRows:                    int32(r1 - r0),
			Encoding:                   enc,
			DefinitionLevelsByteLength: int32(len(levels)),
			IsCompressed:               thrift.New(true),
		}),
	}
	return fw.writePage(&h, levels, comp, sizes)
}

// encodeValues returns the present values [v0, v1) of d in the page's encoding.
func (fw *fileWriter) encodeValues(d *colData, v0, v1 int, dictionary bool) ([]byte, format.Encoding, error) {
	var p plain.Encoding
	var out []byte
	var err error
	buf := fw.scratch.values[:0]
	switch {
	case dictionary:
		// Width 0 (a one-value dictionary) is valid Parquet, but not every reader takes it.
		width := max(1, bits.Len32(uint32(len(fw.dvals.ends)-1)))
		if fw.scratch.indexes, err = (&rle.Encoding{BitWidth: width}).EncodeInt32(fw.scratch.indexes[:0], fw.idx[v0:v1]); err != nil {
			return nil, 0, err
		}
		out = append(append(buf, byte(width)), fw.scratch.indexes...)
		fw.scratch.values = out
		return out, format.RLEDictionary, nil
	case len(d.i32) > 0:
		out, err = p.EncodeInt32(buf, d.i32[v0:v1])
	case len(d.i64) > 0:
		out, err = p.EncodeInt64(buf, d.i64[v0:v1])
	case len(d.f32) > 0:
		out, err = p.EncodeFloat(buf, d.f32[v0:v1])
	case len(d.f64) > 0:
		out, err = p.EncodeDouble(buf, d.f64[v0:v1])
	case len(d.bools) > 0:
		out = appendBitmap(buf, d.bools[v0:v1])
	case len(d.ends) > 0:
		out = appendPlainByteArrays(buf, d, v0, v1)
	default: // uuid, or no present value
		out = append(buf, d.data[v0*16:v1*16]...)
	}
	fw.scratch.values = out
	return out, format.Plain, err
}

// compress returns a page's values zstd-compressed, in a buffer reused for every page.
func (fw *fileWriter) compress(values []byte) ([]byte, error) {
	comp, err := fw.codec.Encode(fw.scratch.comp[:0], values)
	if err != nil {
		return nil, fmt.Errorf("parquetio: compress page: %w", err)
	}
	fw.scratch.comp = comp
	return comp, nil
}

// writePage writes a page header, its definition levels and its compressed values.
func (fw *fileWriter) writePage(h *format.PageHeader, levels, comp []byte, sizes *pageSizes) error {
	hdr, err := thrift.Marshal(&fw.protocol, h)
	if err != nil {
		return fmt.Errorf("parquetio: encode page header: %w", err)
	}
	sizes.raw += int64(len(hdr)) + int64(h.UncompressedPageSize)
	sizes.stored += int64(len(hdr)) + int64(h.CompressedPageSize)
	for _, p := range [][]byte{hdr, levels, comp} {
		if err := fw.write(p); err != nil {
			return err
		}
	}
	return nil
}

// appendPlainByteArrays appends present values [v0, v1) of d in PLAIN encoding: each a
// 4-byte little-endian length and its bytes.
func appendPlainByteArrays(dst []byte, d *colData, v0, v1 int) []byte {
	for i := v0; i < v1; i++ {
		v := d.value(i)
		dst = binary.LittleEndian.AppendUint32(dst, uint32(len(v)))
		dst = append(dst, v...)
	}
	return dst
}

// appendBitmap appends booleans (one byte, 0 or 1, each) as PLAIN encodes them: bits,
// least significant first.
func appendBitmap(dst []byte, bools []byte) []byte {
	for i := 0; i < len(bools); i += 8 {
		var b byte
		for j := 0; j < 8 && i+j < len(bools); j++ {
			b |= bools[i+j] << j
		}
		dst = append(dst, b)
	}
	return dst
}

// chunkStats returns the statistics of a chunk (null count; min and max of ordered
// kinds, in PLAIN encoding) and records them in fw.stats.
func (fw *fileWriter) chunkStats(c int, d *colData, nulls int64) format.Statistics {
	st := format.Statistics{NullCount: nulls}
	fw.stats.nulls[c] += nulls
	if !fw.cols[c].Kind.ordered() {
		return st
	}
	le := binary.LittleEndian
	switch {
	case len(d.i32) > 0:
		lo, hi := slices.Min(d.i32), slices.Max(d.i32)
		fw.stats.addInt(c, int64(lo), int64(hi))
		st.MinValue, st.MaxValue = le.AppendUint32(nil, uint32(lo)), le.AppendUint32(nil, uint32(hi))
	case len(d.i64) > 0:
		lo, hi := slices.Min(d.i64), slices.Max(d.i64)
		fw.stats.addInt(c, lo, hi)
		st.MinValue, st.MaxValue = le.AppendUint64(nil, uint64(lo)), le.AppendUint64(nil, uint64(hi))
	case len(d.f32) > 0:
		if lo, hi, ok := floatRange(d.f32); ok {
			fw.stats.addFloat(c, lo, hi)
			lo, hi = signedZeros(lo, hi)
			st.MinValue = le.AppendUint32(nil, math.Float32bits(float32(lo)))
			st.MaxValue = le.AppendUint32(nil, math.Float32bits(float32(hi)))
		}
	case len(d.f64) > 0:
		if lo, hi, ok := floatRange(d.f64); ok {
			fw.stats.addFloat(c, lo, hi)
			lo, hi = signedZeros(lo, hi)
			st.MinValue, st.MaxValue = le.AppendUint64(nil, math.Float64bits(lo)), le.AppendUint64(nil, math.Float64bits(hi))
		}
	}
	return st
}

// floatRange returns the least and greatest non-NaN values (false when there are none).
func floatRange[F float32 | float64](vs []F) (lo, hi float64, ok bool) {
	for _, v := range vs {
		f := float64(v)
		if math.IsNaN(f) {
			continue
		}
		if !ok || f < lo {
			lo = f
		}
		if !ok || f > hi {
			hi = f
		}
		ok = true
	}
	return lo, hi, ok
}

// signedZeros writes a zero minimum as -0 and a zero maximum as +0, as the Parquet
// format asks of float statistics (a reader cannot tell which zeros a page holds).
func signedZeros(lo, hi float64) (float64, float64) {
	if lo == 0 {
		lo = math.Copysign(0, -1)
	}
	if hi == 0 {
		hi = 0
	}
	return lo, hi
}
