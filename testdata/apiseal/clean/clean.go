// Package clean uses the internal package only behind its API.
package clean

import "example.com/apiseal/internal/x"

// Count hides x.T.
func Count() int { return x.New().N }

// Thing declares its own type.
type Thing struct{ N int }
