//go:build !race

package lsosgov_test

const raceEnabled = false
