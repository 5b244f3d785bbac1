package archive

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/lsos/lsosgov/internal/sqlident"
)

// maxIdent is PostgreSQL's identifier limit in bytes (NAMEDATALEN - 1).
const maxIdent = 63

// indexStatements rewrites the archived partition's index definitions (pg_get_indexdef
// text from the manifest) to build the same indexes on table: the definition is parsed by
// PostgreSQL's own parser and deparsed with the new table and index name, so quoting,
// expressions and predicates survive exactly. taken lists the relation names already
// used in table's schema; a new name never collides with one of them nor with another
// new name.
func indexStatements(defs []string, partition string, table sqlident.Name, taken map[string]bool) ([]string, error) {
	out := make([]string, 0, len(defs))
	for _, def := range defs {
		tree, err := pg_query.Parse(def)
		if err != nil {
			return nil, fmt.Errorf("parse the index definition %q of the manifest: %w", def, err)
		}
		if len(tree.Stmts) != 1 || tree.Stmts[0].Stmt.GetIndexStmt() == nil {
			return nil, fmt.Errorf("the manifest's index definition %q is not one CREATE INDEX statement", def)
		}
		ix := tree.Stmts[0].Stmt.GetIndexStmt()
		name := indexName(ix.Idxname, partition, table.Name, taken)
		taken[name] = true
		ix.Idxname = name
		ix.Relation.Schemaname, ix.Relation.Relname, ix.Relation.Inh = table.Schema, table.Name, true
		ix.Relation.Catalogname = ""
		sql, err := pg_query.Deparse(tree)
		if err != nil {
			return nil, fmt.Errorf("rewrite the index definition %q for %s: %w", def, table, err)
		}
		out = append(out, sql)
	}
	return out, nil
}

// indexName names the restored copy of index orig: the partition's name prefix replaced
// by the table's ("ranking_snapshots_2025_03_pkey" restored into "audit_2025_03" becomes
// "audit_2025_03_pkey"), else the table's name and the original joined by "_". A name
// over 63 bytes is cut and given a hash of the whole, and a taken name gets the first
// free suffix _2, _3, …: the same inputs always give the same names.
func indexName(orig, partition, table string, taken map[string]bool) string {
	stem := table + "_" + orig
	if rest, ok := strings.CutPrefix(orig, partition); ok && rest != "" {
		stem = table + rest
	}
	name := fitIdent(stem, "")
	for i := 2; taken[name]; i++ {
		name = fitIdent(stem, "_"+strconv.Itoa(i))
	}
	return name
}

// fitIdent returns s+suffix, cut to 63 bytes (on a character boundary) with a short hash
// of s when too long, so that different long names stay different.
func fitIdent(s, suffix string) string {
	if len(s)+len(suffix) <= maxIdent {
		return s + suffix
	}
	h := sha256.Sum256([]byte(s))
	tail := "_" + hex.EncodeToString(h[:4]) + suffix
	cut := maxIdent - len(tail)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + tail
}

// takenNames returns the relation names (tables, indexes, sequences, …) of schema: index
// names share that namespace.
func takenNames(ctx context.Context, db DB, schema string) (map[string]bool, error) {
	rows, err := db.Query(ctx, `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1`, schema)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out[n] = true
	}
	return out, rows.Err()
}

// createIndexes builds the manifest's indexes on the restored table tn, after its rows
// are loaded (one sort per index instead of per-row maintenance).
func createIndexes(ctx context.Context, db DB, m *Manifest, tn sqlident.Name) error {
	if len(m.Indexes) == 0 {
		return nil
	}
	taken, err := takenNames(ctx, db, tn.Schema)
	if err != nil {
		return fmt.Errorf("archive: read names in schema %s: %w", tn.Schema, err)
	}
	part, err := exactName(m.PartitionName, m.Partition)
	if err != nil {
		return err
	}
	stmts, err := indexStatements(m.Indexes, part.Name, tn, taken)
	if err != nil {
		return fmt.Errorf("archive: restore indexes of %s (set Target.NoIndexes to restore without them): %w", m.ID, err)
	}
	for _, s := range stmts {
		if _, err := db.Exec(ctx, s); err != nil {
			return fmt.Errorf("archive: create index on %s (set Target.NoIndexes to restore without indexes): %s: %w", tn, s, err)
		}
	}
	return nil
}
