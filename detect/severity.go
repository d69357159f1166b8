package detect

import (
	"fmt"
	"strings"
)

// Severity ranks an alert. The zero value is not a valid severity.
type Severity int

// Severities, lowest first.
const (
	Info Severity = iota + 1
	Low
	Medium
	High
	Critical
)

var severityNames = []string{Info: "info", Low: "low", Medium: "medium", High: "high", Critical: "critical"}

// SeverityNames lists the severities, lowest first, as rules spell them.
func SeverityNames() []string { return severityNames[Info:] }

// ParseSeverity reads a severity name (info, low, medium, high, critical),
// in any case.
func ParseSeverity(s string) (Severity, error) {
	for i, n := range severityNames {
		if n != "" && strings.EqualFold(s, n) {
			return Severity(i), nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q; want one of %s", s, strings.Join(SeverityNames(), ", "))
}

// String returns the severity's name.
func (s Severity) String() string {
	if s < Info || s > Critical {
		return fmt.Sprintf("severity(%d)", int(s))
	}
	return severityNames[s]
}

// MarshalText writes the severity's name.
func (s Severity) MarshalText() ([]byte, error) {
	if s < Info || s > Critical {
		return nil, fmt.Errorf("invalid severity %d", int(s))
	}
	return []byte(s.String()), nil
}

// UnmarshalText reads a severity name.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}
