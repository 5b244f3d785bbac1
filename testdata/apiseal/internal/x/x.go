// Package x is internal: no exported identifier of a public package may mention it.
package x

// T is an internal type.
type T struct{ N int }

// Name aliases a type of another package, as internal/sqlident.Name does.
type Name = struct{ Schema, Name string }

// New returns a T.
func New() T { return T{} }
