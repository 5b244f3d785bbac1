//go:build race

package lsosgov_test

// raceEnabled says the test binary was built with -race, so TestAPISeal asks go list
// for the export data go test -race compiled.
const raceEnabled = true
