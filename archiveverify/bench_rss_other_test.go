//go:build !unix

package archiveverify

// maxRSS is not measured on this system.
func maxRSS() int64 { return 0 }
