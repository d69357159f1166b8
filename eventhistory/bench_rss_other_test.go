//go:build !unix

package eventhistory

// maxRSS is not measured on this system.
func maxRSS() int64 { return 0 }
