//go:build !unix

package detect

// maxRSS is not measured on this system.
func maxRSS() int64 { return 0 }
