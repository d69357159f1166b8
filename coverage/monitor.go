package coverage

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/trailguard/trailguard/detect"
)

// States of a pair in the table, kept by the monitor so that it alerts once per transition.
const (
	// StatePending: expected, never heard from, within NeverSeenGrace.
	StatePending = ""
	// StateOK: heard from within SilentAfter.
	StateOK = "ok"
	// StateSilent: alerted as silent, not heard from since.
	StateSilent = "silent"
	// StateUnexpected: alerted as forwarding without being expected, and still heard from.
	StateUnexpected = "unexpected"
	// StateUnforwarded: alerted as active in the archive without being expected or ever
	// heard from (RuleUnforwarded), and still active.
	StateUnforwarded = "unforwarded"
	// StateArchiveOnly: known from the archive only (neither expected nor ever heard from),
	// not alerted: its activity is older than ArchiveActiveWithin, or, in a region the
	// StackSet deploys, its instance may still be deploying (NeverSeenGrace).
	StateArchiveOnly = "archive-only"
)

// PairState is a pair's row in the table.
type PairState struct {
	// Pair is the account and region the row is about.
	Pair Pair
	// LastSeen is the arrival time of its latest heartbeat; zero if never heard from.
	LastSeen time.Time
	// ArchiveSeen is the eventTime of its latest activity in the archive (ArchiveActivity);
	// zero if none recorded.
	ArchiveSeen time.Time
	// State is the monitor's verdict at its last run (State* constants).
	State string
	// Since is when the monitor first knew of the pair (expected or heard from); zero until
	// the monitor records it.
	Since time.Time
}

// Options tune Evaluate. Zero values take the package defaults.
type Options struct {
	// SilentAfter is how long a pair may go without a heartbeat before it is silent.
	// Default: SilentAfter (the constant).
	SilentAfter time.Duration
	// NeverSeenGrace is how long an expected pair may go unheard from since the monitor
	// first knew of it before it is silent. Default: NeverSeenGrace (the constant).
	NeverSeenGrace time.Duration
	// ArchiveActiveWithin is how recent archive activity must be for an uncovered pair to
	// be unforwarded. Default: ArchiveActiveWithin (the constant).
	ArchiveActiveWithin time.Duration
}

// Result is what one monitor run found.
type Result struct {
	// Updates are the pairs whose State or Since changed: write them back after alerting.
	Updates []PairState
	// NewlySilent, Recovered, Unexpected and Unforwarded are the transitions to alert on.
	NewlySilent, Recovered, Unexpected, Unforwarded []PairState
	// Silent counts the pairs silent now (the monitor's metric).
	Silent int
}

// Evaluate compares the table's rows with the expected pairs at now. A pair is silent when
// its last heartbeat is older than SilentAfter, or, never heard from, it has been expected
// for longer than NeverSeenGrace. A pair heard from once stays monitored even when no
// longer expected (stackset mode learns its members this way); delete its row to forget it.
//
// A pair neither expected nor ever heard from is known from the archive only: it is
// unforwarded when its archive activity is within ArchiveActiveWithin (API activity in a
// region no forwarder covers) and, in a region the StackSet deploys (stackset mode, an
// account the config does not list), the monitor has known it for longer than
// NeverSeenGrace (its instance may still be deploying).
func Evaluate(now time.Time, expected *Expected, rows []PairState, o Options) Result {
	if o.SilentAfter == 0 {
		o.SilentAfter = SilentAfter
	}
	if o.NeverSeenGrace == 0 {
		o.NeverSeenGrace = NeverSeenGrace
	}
	if o.ArchiveActiveWithin == 0 {
		o.ArchiveActiveWithin = ArchiveActiveWithin
	}
	byKey := map[string]PairState{}
	for _, r := range rows {
		byKey[r.Pair.Key()] = r
	}
	want := map[string]bool{}
	for _, p := range expected.Pairs() {
		want[p.Key()] = true
		if _, ok := byKey[p.Key()]; !ok {
			byKey[p.Key()] = PairState{Pair: p}
		}
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	slices.Sort(keys)

	var res Result
	for _, k := range keys {
		old := byKey[k]
		cur := old
		wasArchiveOnly := old.State == StateUnforwarded || old.State == StateArchiveOnly
		if cur.Since.IsZero() || (want[k] && wasArchiveOnly) {
			// First known now, or first expected now (a region added to the config after
			// it was active): the grace to deploy its forwarder starts now.
			cur.Since = now
		}
		seen := !cur.LastSeen.IsZero()
		if !seen && !want[k] {
			active := !cur.ArchiveSeen.IsZero() && now.Sub(cur.ArchiveSeen) <= o.ArchiveActiveWithin
			deploying := slices.Contains(expected.StackSetRegions, cur.Pair.Region) && now.Sub(cur.Since) <= o.NeverSeenGrace
			if active && !deploying {
				if old.State != StateUnforwarded {
					res.Unforwarded = append(res.Unforwarded, cur)
				}
				cur.State = StateUnforwarded
			} else {
				cur.State = StateArchiveOnly
			}
			if cur.State != old.State || !cur.Since.Equal(old.Since) {
				res.Updates = append(res.Updates, cur)
			}
			continue
		}
		if wasArchiveOnly {
			cur.State = StatePending // heard from or expected at last: judged like any pair
		}
		alive := seen && now.Sub(cur.LastSeen) <= o.SilentAfter
		silent := !alive && (seen || now.Sub(cur.Since) > o.NeverSeenGrace)
		switch {
		case silent:
			if old.State != StateSilent {
				res.NewlySilent = append(res.NewlySilent, cur)
			}
			cur.State = StateSilent
		case alive && old.State == StateSilent:
			res.Recovered = append(res.Recovered, cur)
			cur.State = StateOK
		case alive && !want[k] && expected.Complete:
			if old.State != StateUnexpected {
				res.Unexpected = append(res.Unexpected, cur)
			}
			cur.State = StateUnexpected
		case alive:
			cur.State = StateOK
		}
		if cur.State == StateSilent {
			res.Silent++
		}
		if cur.State != old.State || !cur.Since.Equal(old.Since) {
			res.Updates = append(res.Updates, cur)
		}
	}
	return res
}

// Rule ids of the monitor's alerts.
const (
	RuleSilent     = "coverage-silent"
	RuleRecovered  = "coverage-recovered"
	RuleUnexpected = "coverage-unexpected"
	// RuleUnforwarded: API activity in the archive from a pair no forwarder covers.
	RuleUnforwarded = "coverage-unforwarded"
)

// Principal names the monitor in its alerts' principal field.
const Principal = "trailguard-coverage-monitor"

// maxListed bounds the pairs one alert lists (SNS and PutEvents take 256 KB).
const maxListed = 2000

// Alerts are res's transitions as alerts in the detection engine's format, one per kind
// (so a broken receiving bus is one alert, not one per account and region). The record
// lists the pairs with their last heartbeat and archive activity; accountId and region are
// the pairs' when they share one, else a count.
func Alerts(now time.Time, res Result) []*detect.Alert {
	var out []*detect.Alert
	for _, g := range []struct {
		rule, title, eventName string
		sev                    detect.Severity
		pairs                  []PairState
	}{
		{RuleSilent, "Accounts or regions stopped forwarding events (no heartbeat)", "Heartbeat", detect.High, res.NewlySilent},
		{RuleRecovered, "Accounts or regions forward events again", "Heartbeat", detect.Info, res.Recovered},
		{RuleUnexpected, "Accounts or regions forward events without being in the config", "Heartbeat", detect.Low, res.Unexpected},
		{RuleUnforwarded, "API activity in accounts or regions that no forwarder covers (seen in the archive only)", "ArchiveActivity", detect.High, res.Unforwarded},
	} {
		if len(g.pairs) == 0 {
			continue
		}
		out = append(out, alert(now, g.rule, g.title, g.eventName, g.sev, g.pairs))
	}
	return out
}

func alert(now time.Time, rule, title, eventName string, sev detect.Severity, pairs []PairState) *detect.Alert {
	type item struct {
		Account     string `json:"account"`
		Region      string `json:"region"`
		LastSeen    string `json:"lastSeen,omitempty"`
		ArchiveSeen string `json:"archiveSeen,omitempty"`
	}
	accounts, regions := map[string]bool{}, map[string]bool{}
	var items []item
	for _, p := range pairs {
		accounts[p.Pair.Account], regions[p.Pair.Region] = true, true
		if len(items) < maxListed {
			it := item{Account: p.Pair.Account, Region: p.Pair.Region}
			if !p.LastSeen.IsZero() {
				it.LastSeen = p.LastSeen.UTC().Format(time.RFC3339)
			}
			if !p.ArchiveSeen.IsZero() {
				it.ArchiveSeen = p.ArchiveSeen.UTC().Format(time.RFC3339)
			}
			items = append(items, it)
		}
	}
	record, _ := json.Marshal(map[string]any{
		"pairs":              items,
		"count":              len(pairs),
		"silentAfterMinutes": int(SilentAfter / time.Minute),
		"heartbeatMinutes":   int(HeartbeatInterval / time.Minute),
	})
	at := now.UTC().Format(time.RFC3339)
	return &detect.Alert{
		Rule:        rule,
		Severity:    sev,
		Title:       title,
		DedupeKey:   rule + "/" + at,
		EventName:   eventName,
		EventSource: Source,
		EventTime:   at,
		AccountID:   one(accounts, "accounts"),
		Region:      one(regions, "regions"),
		Principal:   Principal,
		Record:      record,
	}
}

// one is the only key of set, or "<n> <plural>".
func one(set map[string]bool, plural string) string {
	if len(set) == 1 {
		for k := range set {
			return k
		}
	}
	return fmt.Sprintf("%d %s", len(set), plural)
}

// Describe lists pairs for a log line.
func Describe(pairs []PairState) string {
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString(p.Pair.Key())
	}
	return b.String()
}
