package config

import (
	"fmt"
	"sort"
	"strings"
)

// Problem is one thing wrong with a config file.
type Problem struct {
	// Path is the field path, e.g. "members[1].id"; empty for the file as a whole.
	Path string
	// Line is the 1-based line the field is on, or 0 when it is not in the file.
	Line int
	// Value is the offending value as written, if any.
	Value string
	// Message says what is expected.
	Message string
}

// String renders the problem as "line 12: members[1].id: must be ..., got "x"".
func (p Problem) String() string {
	var b strings.Builder
	if p.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", p.Line)
	}
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(" ")
	}
	b.WriteString(p.Message)
	if p.Value != "" {
		fmt.Fprintf(&b, ", got %q", p.Value)
	}
	return b.String()
}

// Problems is every problem found in one config file. It is the error Load returns.
type Problems struct {
	// Source names the file, e.g. "examples/org.yaml".
	Source string
	// List holds the problems in line order, those about missing settings last.
	List []Problem
}

// Error lists every problem, one per line.
func (ps *Problems) Error() string {
	var b strings.Builder
	noun := "problems"
	if len(ps.List) == 1 {
		noun = "problem"
	}
	fmt.Fprintf(&b, "config %s has %d %s:", ps.Source, len(ps.List), noun)
	for _, p := range ps.List {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

func (ps *Problems) add(path string, line int, value, format string, args ...any) {
	ps.List = append(ps.List, Problem{Path: path, Line: line, Value: value, Message: fmt.Sprintf(format, args...)})
}

func (ps *Problems) err() error {
	if len(ps.List) == 0 {
		return nil
	}
	// In file order; problems about settings missing from the file come last.
	sort.SliceStable(ps.List, func(i, j int) bool {
		li, lj := ps.List[i].Line, ps.List[j].Line
		if li == 0 || lj == 0 {
			return lj == 0 && li != 0
		}
		return li < lj
	})
	return ps
}
