// Package pub breaks the seal.
package pub

import "example.com/apiseal/internal/x"

// Alias is an alias of an internal type.
type Alias = x.T

// Uses mentions x.T through Alias.
func Uses(a Alias) {}

// F takes an internal type.
func F(t x.T) {}

// V has an internal type without spelling it.
var V = x.New()

// Opts spells an internal alias in a field.
type Opts struct {
	Name x.Name
	ok   x.T // unexported: not part of the API
}

// Embeds embeds an internal type.
type Embeds struct {
	x.T
}

type hidden struct {
	Field x.T
}

// Method is promoted to Promotes.
func (hidden) Method() x.T { return x.T{} }

// Promotes embeds an unexported type whose field and method are promoted.
type Promotes struct {
	hidden
}

// W has a method returning an internal type.
type W struct{}

// Get returns an internal type.
func (W) Get() x.T { return x.T{} }

func (W) unexported() x.T { return x.T{} }

// Iface has a method that mentions an internal type.
type Iface interface {
	M() []x.T
}

// Box is generic.
type Box[E any] struct{ E E }

// Generic instantiates a generic type with an internal type.
var Generic Box[x.T]
