package detect

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/trailguard/trailguard/internal/gobench"
)

// poolRecord is a record of the benchmarks' pool, with the eventID and
// eventTime that synthetic replaces.
type poolRecord struct {
	raw             []byte
	eventID, evTime []byte
}

// benchPool returns realistic records: the ordinary activity four times
// over, then every rule fixture's records, so that most records match no
// rule, as in a real trail.
func benchPool(b *testing.B) []poolRecord {
	b.Helper()
	var pool []poolRecord
	add := func(path string, times int) {
		raw, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		var f fixture
		if err := json.Unmarshal(raw, &f); err != nil {
			b.Fatal(err)
		}
		for range times {
			for _, c := range f.Cases {
				for _, r := range c.Records {
					var buf bytes.Buffer
					json.Compact(&buf, r)
					var m struct {
						EventID   string `json:"eventID"`
						EventTime string `json:"eventTime"`
					}
					json.Unmarshal(r, &m)
					pool = append(pool, poolRecord{buf.Bytes(), []byte(`"eventID":"` + m.EventID + `"`), []byte(`"eventTime":"` + m.EventTime + `"`)})
				}
			}
		}
	}
	add("testdata/ordinary.json", 4)
	files, _ := filepath.Glob("testdata/rules/*.json")
	for _, f := range files {
		add(f, 1)
	}
	return pool
}

// synthetic returns the i-th record of an endless stream made from pool:
// each record gets a new eventID and an event time 10 ms after the last, so
// that dedupe and thresholds work as on a real trail.
func synthetic(pool []poolRecord, i int) []byte {
	p := pool[i%len(pool)]
	id := fmt.Sprintf(`"eventID":"%08x-0000-4000-8000-%012x"`, i>>20, i)
	t := `"eventTime":"` + time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC).Add(time.Duration(i)*10*time.Millisecond).Format(time.RFC3339) + `"`
	out := bytes.Replace(p.raw, p.eventID, []byte(id), 1)
	return bytes.Replace(out, p.evTime, []byte(t), 1)
}

// BenchmarkEngine measures what one record costs with the default rule set:
// decoding it, running the rules, thresholds and dedupe. Run it on one core
// (-cpu 1) for records per second per core.
func BenchmarkEngine(b *testing.B) {
	pool := benchPool(b)
	stream := make([][]byte, 10*len(pool))
	for i := range stream {
		stream[i] = synthetic(pool, i)
	}
	d := NewDetector(defaultEngine(b), nil)
	var bytesIn int64
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		raw := stream[i%len(stream)]
		i++
		bytesIn += int64(len(raw))
		rec, err := ParseRecord(raw)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := d.Process(rec); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(bytesIn)/float64(i), "bytes/record")
}

// BenchmarkMatch measures the rules alone, on records already decoded.
func BenchmarkMatch(b *testing.B) {
	pool := benchPool(b)
	recs := make([]*Record, len(pool))
	for i, p := range pool {
		rec, err := ParseRecord(p.raw)
		if err != nil {
			b.Fatal(err)
		}
		recs[i] = rec
	}
	e := defaultEngine(b)
	i := 0
	for b.Loop() {
		e.Match(recs[i%len(recs)])
		i++
	}
	b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkMemory streams n records through one Detector, as trailguard
// detect does over a directory, and reports the peak Go heap and the
// process's peak RSS. Run each size in its own process (cmd/detectbench
// does) so that the RSS is that size's.
func BenchmarkMemory(b *testing.B) {
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			pool := benchPool(b)
			engine := defaultEngine(b)
			for b.Loop() {
				d := NewDetector(engine, nil)
				var peak uint64
				var ms runtime.MemStats
				for i := range n {
					rec, err := ParseRecord(synthetic(pool, i))
					if err != nil {
						b.Fatal(err)
					}
					if _, err := d.Process(rec); err != nil {
						b.Fatal(err)
					}
					if i%20_000 == 0 {
						runtime.ReadMemStats(&ms)
						peak = max(peak, ms.HeapInuse)
					}
				}
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
				b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
				b.ReportMetric(float64(gobench.PeakRSS())/(1<<20), "peak-rss-MiB")
				b.ReportMetric(float64(d.Stats().Alerts), "alerts")
			}
		})
	}
}
