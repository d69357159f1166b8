package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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

// TestGenerate generates a small file of each format and decodes it with
// the parse-only decoder: every record, each with its own eventID.
func TestGenerate(t *testing.T) {
	p, err := loadPool("../../detect")
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range []fileFormat{logFile, jsonLines} {
		path := filepath.Join(t.TempDir(), "records")
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		n, err := generate(f, p, format, 4<<20)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if n < 2*len(p) {
			t.Errorf("%s: %d records, want the pool (%d) at least twice", format, n, len(p))
		}
		got, err := parseOnly(path, format)
		if err != nil || got != n {
			t.Errorf("%s: parse-only decoded %d records (%v), want %d", format, got, err, n)
		}
		b, _ := os.ReadFile(path)
		if c := strings.Count(string(b), `"eventID":"00000000-0000-4000-8000-000000000001"`); c != 1 {
			t.Errorf("%s: the second record's eventID appears %d times, want once", format, c)
		}
	}
}

func TestChecked(t *testing.T) {
	for summary, want := range map[string]int{
		"checked 1,234,567 records in 1 files: 3 alerts, 0 duplicates dropped\n": 1234567,
		"checked 0 records in 1 files: 0 alerts, 0 duplicates dropped\n":         0,
		"trailguard: x: not JSON\n": -1,
	} {
		if got := checked(summary); got != want {
			t.Errorf("checked(%q) = %d, want %d", summary, got, want)
		}
	}
}

func TestVmHWM(t *testing.T) {
	path := filepath.Join(t.TempDir(), "status")
	os.WriteFile(path, []byte("Name:\tx\nVmPeak:\t  900000 kB\nVmHWM:\t   43008 kB\nVmRSS:\t   41000 kB\n"), 0o600)
	if got := vmHWM(path); got != 43008*1024 {
		t.Errorf("vmHWM = %d, want %d", got, 43008*1024)
	}
	if got := vmHWM(filepath.Join(t.TempDir(), "none")); got != 0 {
		t.Errorf("vmHWM of no file = %d, want 0", got)
	}
}

func TestWriteComparison(t *testing.T) {
	var b strings.Builder
	writeComparison(&b, []comparison{{format: logFile, size: 256 << 20, records: 200_000,
		parse: usage{cpu: 4 * time.Second, peakRSS: 8 << 20}, tool: usage{cpu: 5 * time.Second, peakRSS: 41 << 20}}}, 3)
	if want := "| log file, 256 MiB | 200,000 | 4.00 s | 5.00 s | 1.25 | 40,000 | 8 MiB | 41 MiB |"; !strings.Contains(b.String(), want) {
		t.Errorf("table lacks %q:\n%s", want, b.String())
	}
}
