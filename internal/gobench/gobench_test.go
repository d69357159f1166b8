package gobench

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name, output string
		want         Result
		wantErr      bool
	}{
		{"metrics of the first line", "goos: linux\nBenchmarkX-2  \t 10\t 1500 ns/op\t 3.5 MB/s\t 42 files\nBenchmarkY 1 1 ns/op\nPASS\n",
			Result{"ns/op": 1500, "MB/s": 3.5, "files": 42}, false},
		{"no benchmark", "PASS\n", nil, true},
		{"not a number", "BenchmarkX 10 fast ns/op\n", nil, true},
	} {
		got, err := Parse(tc.output)
		if (err != nil) != tc.wantErr || !cmp.Equal(got, tc.want) {
			t.Errorf("%s: Parse() = %v, %v; want %v (error %v)", tc.name, got, err, tc.want, tc.wantErr)
		}
	}
}
