package main

import (
	"strings"
	"testing"
)

func TestWriteTables(t *testing.T) {
	var b strings.Builder
	mem := map[int]result{}
	for _, n := range memoryCases {
		mem[n] = result{"ns/op": float64(n) * 50e3, "peak-heap-MiB": 3, "peak-rss-MiB": 20, "alerts": 7}
	}
	writeTables(&b, result{"records/s": 20000, "ns/op": 50000, "allocs/op": 150}, result{"records/s": 300000, "ns/op": 3300}, mem)
	for _, want := range []string{"| decode JSON + rules + thresholds + dedupe | 20,000 | 50.0 µs | 150 |", "| 1,000,000 | 7 | 50.0 s | 20,000 | 3.0 MiB | 20.0 MiB |"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("tables lack %q:\n%s", want, b.String())
		}
	}
}
