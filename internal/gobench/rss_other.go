//go:build !unix

package gobench

// PeakRSS returns 0: the peak resident set size is not measured on this system.
func PeakRSS() int64 { return 0 }
