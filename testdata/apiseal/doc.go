// Package apiseal is the fixture of TestAPISealCatchesOffenders: a module whose package
// pub breaks the seal in every way the checker knows, and whose package clean does not.
package apiseal

// Version is exported and clean.
const Version = "1"
