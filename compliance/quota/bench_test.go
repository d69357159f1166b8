package quota

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// goldenDir holds the example's golden templates (test/testdata).
const goldenDir = "../../test/testdata"

const goldenMember = "trailguard-member-workloads-prod-eu-west-1"

// exampleAssembly writes an assembly of the example's Security and Management stacks and
// members member stacks replicating the golden member template, named as trailguard names
// them (names of varying length).
func exampleAssembly(b *testing.B, members int) string {
	b.Helper()
	read := func(name string) []byte {
		data, err := os.ReadFile(filepath.Join(goldenDir, name+".template.json"))
		if err != nil {
			b.Fatal(err)
		}
		return data
	}
	stacks := map[string]any{
		"trailguard-security":   read("trailguard-security"),
		"trailguard-management": read("trailguard-management"),
	}
	member := read(goldenMember)
	for i := range members {
		name := fmt.Sprintf("trailguard-member-account-%s%d-eu-west-1", strings.Repeat("x", i%16), i)
		stacks[name] = bytes.ReplaceAll(member, []byte(goldenMember), []byte(name))
	}
	dir := b.TempDir()
	writeAssembly(b, dir, stacks, nil)
	return dir
}

// BenchmarkCheck measures the gate over the example's stacks with 1, 10, 100 and 1,000
// member stacks (run: go test -bench . ./compliance/quota).
func BenchmarkCheck(b *testing.B) {
	for _, members := range []int{1, 10, 100, 1000} {
		b.Run(fmt.Sprintf("members=%d", members), func(b *testing.B) {
			dir := exampleAssembly(b, members)
			b.ResetTimer()
			for b.Loop() {
				if _, err := Check(dir); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
