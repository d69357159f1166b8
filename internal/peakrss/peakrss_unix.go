//go:build unix

// Package peakrss reads the process's peak resident set size, which the benchmarks report
// beside Go's own heap figures.
package peakrss

import (
	"runtime"
	"syscall"
)

// Bytes returns the process's peak resident set size in bytes, or 0 if it cannot be read.
func Bytes() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	if runtime.GOOS == "darwin" {
		return ru.Maxrss // bytes on macOS
	}
	return ru.Maxrss * 1024 // kilobytes elsewhere
}
