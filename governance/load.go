package governance

import (
	"bytes"
	"encoding"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Problem is one thing wrong with a policy: where (a key path and, when the policy came
// from a file, its position) and what to do about it.
type Problem struct {
	Path    string // key path such as "retention[0].keep"
	Line    int    // 1-based line in the source file, 0 when unknown
	Column  int    // 1-based column, 0 when unknown
	Message string // what is wrong and what is allowed
}

// PolicyError lists every problem found in a policy at once. It is returned by
// [Parse], [Load] and [Policy.Validate].
type PolicyError struct {
	File     string // source file name, empty when the policy did not come from a file
	Problems []Problem
}

// ErrInvalidPolicy is matched by every *PolicyError with errors.Is.
var ErrInvalidPolicy = errors.New("governance: invalid policy")

func (e *PolicyError) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(p.location(e.File))
		b.WriteString(p.Message)
	}
	return b.String()
}

// Is makes errors.Is(err, ErrInvalidPolicy) true.
func (e *PolicyError) Is(target error) bool { return target == ErrInvalidPolicy }

func (p Problem) location(file string) string {
	var parts []string
	if file != "" {
		parts = append(parts, file)
	}
	if p.Line > 0 {
		parts = append(parts, fmt.Sprint(p.Line))
		if p.Column > 0 {
			parts = append(parts, fmt.Sprint(p.Column))
		}
	}
	loc := strings.Join(parts, ":")
	switch {
	case loc != "" && p.Path != "":
		return loc + ": " + p.Path + ": "
	case loc != "":
		return loc + ": "
	case p.Path != "":
		return p.Path + ": "
	}
	return "policy: "
}

// Load reads a YAML or JSON policy file merged over [Default] and validates it.
func Load(path string) (*Policy, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("governance: read policy: %w", err)
	}
	return parse(b, path)
}

// Parse reads a YAML or JSON policy document merged over [Default] and validates it.
// Scalars and nested keys that the document sets replace the default; maps merge key by
// key; list entries replace the default entry with the same identity (snapshot table,
// relationship source, retention table, class name) and add the rest. A list named in
// replace_defaults (snapshots, relationships, retention) is not merged: the document's
// entries are the whole list, and the built-in ones are dropped.
func Parse(b []byte) (*Policy, error) { return parse(b, "") }

func parse(b []byte, file string) (*Policy, error) {
	p := Default()
	p.source = file
	if len(bytes.TrimSpace(b)) == 0 {
		return p, nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, &PolicyError{File: file, Problems: []Problem{{Line: yamlErrLine(err), Message: "not valid YAML or JSON: " + cleanYAMLErr(err)}}}
	}
	if len(doc.Content) == 0 {
		return p, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, &PolicyError{File: file, Problems: []Problem{{Line: root.Line, Column: root.Column, Message: "a policy document must be a mapping of keys such as tenant, retention, classes"}}}
	}
	pos := map[string][2]int{}
	var probs []Problem
	checkKeys(root, reflect.TypeFor[Policy](), "", pos, &probs)
	for i := 0; i+1 < len(root.Content); i += 2 {
		if k, v := root.Content[i], root.Content[i+1]; k.Value == "replace_defaults" && v.Kind != yaml.SequenceNode && v.Tag != "!!null" {
			probs = append(probs, Problem{Path: k.Value, Line: v.Line, Column: v.Column, Message: fmt.Sprintf(
				"replace_defaults must be a list of the lists whose built-in entries the file replaces, e.g. [snapshots, relationships] (allowed: %s)",
				strings.Join(ReplaceableLists(), ", "))})
		}
	}
	if len(probs) > 0 {
		return nil, &PolicyError{File: file, Problems: probs}
	}

	def := *p
	p.Snapshots, p.Relationships, p.Retention, p.DataClasses = nil, nil, nil, nil
	if err := root.Decode(p); err != nil {
		return nil, &PolicyError{File: file, Problems: decodeProblems(err)}
	}
	p.recordNamed(p.Snapshots, p.Relationships, p.Retention)
	replace := func(list string) bool { return slices.Contains(p.ReplaceDefaults, list) }
	if replace(ListSnapshots) {
		p.Snapshots = nonNil(p.Snapshots)
	} else {
		p.Snapshots = mergeBy(p.Snapshots, def.Snapshots, func(s SnapshotKey) []string { return []string{unqualified(s.Table)} })
	}
	if replace(ListRelationships) {
		p.Relationships = nonNil(p.Relationships)
	} else {
		p.Relationships = mergeBy(p.Relationships, def.Relationships, func(r Relationship) []string { return []string{r.From} })
	}
	if replace(ListRetention) {
		p.Retention = nonNil(p.Retention)
	} else {
		p.Retention = mergeRetention(p.Retention, def.Retention)
	}
	p.DataClasses = mergeBy(p.DataClasses, def.DataClasses, func(c DataClass) []string { return []string{string(c.Name)} })
	p.positions = pos
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p, nil
}

// nonNil returns s, or an empty list for nil, so a replaced list reads as [] rather
// than null in JSON.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// mergeBy returns the file's entries in file order (so their positions stay valid),
// then the default entries whose identity the file did not name.
func mergeBy[T any](file, def []T, ids func(T) []string) []T {
	if file == nil {
		return def
	}
	named := map[string]bool{}
	for _, f := range file {
		for _, id := range ids(f) {
			named[id] = true
		}
	}
	out := slices.Clone(file)
	for _, d := range def {
		if !slices.ContainsFunc(ids(d), func(id string) bool { return named[id] }) {
			out = append(out, d)
		}
	}
	return out
}

// mergeRetention lets a file rule take over the tables it names from the default rules;
// a default rule left with no table is dropped.
func mergeRetention(file, def []RetentionRule) []RetentionRule {
	if file == nil {
		return def
	}
	named := map[string]bool{}
	for _, r := range file {
		for _, t := range r.Tables {
			named[unqualified(t)] = true
		}
	}
	out := slices.Clone(file)
	for _, d := range def {
		var keep []string
		for _, t := range d.Tables {
			if !named[unqualified(t)] {
				keep = append(keep, t)
			}
		}
		if len(keep) > 0 {
			d.Tables = keep
			out = append(out, d)
		}
	}
	return out
}

var textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()

// checkKeys walks the document against the Go type and reports every key that the type
// does not have, with its position and the keys that are allowed there. It also records
// the position of every path for later validation messages.
func checkKeys(n *yaml.Node, t reflect.Type, path string, pos map[string][2]int, probs *[]Problem) {
	pos[path] = [2]int{n.Line, n.Column}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(textUnmarshaler) {
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return // Decode reports the type mismatch
		}
		fields := map[string]reflect.Type{}
		var names []string
		for i := range t.NumField() {
			f := t.Field(i)
			tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
			if tag == "" || tag == "-" || !f.IsExported() {
				continue
			}
			fields[tag] = f.Type
			names = append(names, tag)
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			ft, ok := fields[k.Value]
			sub := join(path, k.Value)
			if !ok {
				where := path
				if where == "" {
					where = "the top level"
				}
				*probs = append(*probs, Problem{Path: sub, Line: k.Line, Column: k.Column,
					Message: fmt.Sprintf("unknown key %q in %s (allowed: %s)", k.Value, where, strings.Join(names, ", "))})
				continue
			}
			checkKeys(v, ft, sub, pos, probs)
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			checkKeys(n.Content[i+1], t.Elem(), join(path, n.Content[i].Value), pos, probs)
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return
		}
		for i, c := range n.Content {
			checkKeys(c, t.Elem(), fmt.Sprintf("%s[%d]", path, i), pos, probs)
		}
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// decodeProblems turns yaml.v3's decode errors ("line 3: cannot unmarshal …") into
// problems with positions.
func decodeProblems(err error) []Problem {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		var out []Problem
		for _, e := range te.Errors {
			out = append(out, Problem{Line: yamlErrLine(errors.New(e)), Message: cleanYAMLErr(errors.New(e))})
		}
		return out
	}
	return []Problem{{Line: yamlErrLine(err), Message: cleanYAMLErr(err)}}
}

func yamlErrLine(err error) int {
	var line int
	s := err.Error()
	if i := strings.Index(s, "line "); i >= 0 {
		fmt.Sscanf(s[i:], "line %d", &line)
	}
	return line
}

func cleanYAMLErr(err error) string {
	s := strings.TrimPrefix(err.Error(), "yaml: ")
	if i := strings.Index(s, "line "); i >= 0 {
		if j := strings.Index(s[i:], ": "); j >= 0 {
			s = s[:i] + s[i+j+2:]
		}
	}
	return strings.TrimSpace(s)
}
