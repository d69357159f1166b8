//go:build !unix

// Package peakrss reads the process's peak resident set size, which the benchmarks report
// beside Go's own heap figures.
package peakrss

// Bytes returns 0: the peak resident set size is not measured on this system.
func Bytes() int64 { return 0 }
