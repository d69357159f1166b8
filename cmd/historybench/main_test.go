package main

import (
	"strings"
	"testing"
)

func TestWriteTablesMarksMissedGoals(t *testing.T) {
	rate := result{"limit-%": 80, "min-limit-%": 70, "regions": 17, "events/region": 400, "ns/op": 4e9, "events/s": 1500}
	mem := map[int]result{}
	for _, n := range memoryCases {
		mem[n] = result{"maxrss-MiB": 30, "peak-heap-MiB": 8, "ns/op": 1e9, "events/s": 1e5}
	}
	var b strings.Builder
	if writeTables(&b, rate, mem) {
		t.Errorf("writeTables() = true for 80%% of the limit, want false")
	}
	if !strings.Contains(b.String(), "| 80.0% |") || !strings.Contains(b.String(), "**no**") {
		t.Errorf("table does not show the missed goal:\n%s", b.String())
	}
	rate["limit-%"] = 99
	if !writeTables(&strings.Builder{}, rate, mem) {
		t.Errorf("writeTables() = false with every goal met")
	}
}

func TestWriteOrgTableMarksMissedGoals(t *testing.T) {
	orgs := map[int]result{}
	for _, n := range orgCases {
		orgs[n] = result{"limit-%": 99, "min-limit-%": 90, "regions": 4, "ns/op": 2e9, "events/s": 5000, "peak-heap-MiB": 40, "maxrss-MiB": 60}
	}
	if !writeOrgTable(&strings.Builder{}, orgs) {
		t.Error("writeOrgTable() = false with every goal met")
	}
	orgs[orgCases[len(orgCases)-1]]["maxrss-MiB"] = 120 // grew with the accounts
	var b strings.Builder
	if writeOrgTable(&b, orgs) || !strings.Contains(b.String(), "**no**") {
		t.Errorf("writeOrgTable() does not mark memory growing with accounts:\n%s", b.String())
	}
}
