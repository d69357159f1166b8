package detect

import (
	"slices"
	"sort"
	"time"
)

// Observation is one record a threshold rule counts: under Group, at
// EventTime, as EventID (records) or as each of Values (Distinct).
type Observation struct {
	// Rule is the rule's id.
	Rule string
	// Group is the value of the rule's groupBy for the record.
	Group string
	// Threshold is the rule's threshold.
	Threshold Threshold
	// EventTime is the record's event time.
	EventTime time.Time
	// EventID identifies the record: its eventID, or "sha256:" and the hash of
	// its JSON when it has none. Copies of a record count once.
	EventID string
	// Distinct is true when the rule counts distinct Values instead of
	// records.
	Distinct bool
	// Values are the record's distinct values (Distinct only), never empty.
	Values []string
}

// ThresholdStore counts the observations of threshold rules. Count records
// obs and returns the hit when the observations of its rule and group within
// one window of event time that holds obs number at least the threshold's
// count (distinct EventIDs, or distinct Values), and nil otherwise. Counting
// an observation again (a copy of the record, a retry) must not change the
// count.
//
// NewMemoryThresholds counts exactly, for one process (trailguard detect). A
// store shared by several detectors (the stream and archive functions, every
// shard: package internal/alerting's DynamoThresholds) lets a burst spread over them
// alert; it may approximate the window, and document how.
type ThresholdStore interface {
	// Count records obs and returns its hit, or nil (see ThresholdStore).
	Count(obs Observation) (*ThresholdHit, error)
}

// BatchThresholdStore is a ThresholdStore that counts many observations at
// once, for a store where each call is a network round trip (package
// alerting's DynamoThresholds). A Detector over one defers its threshold
// rules to Flush: their alerts come at the end of the batch, not at the
// record.
type BatchThresholdStore interface {
	ThresholdStore
	// CountBatch records every observation of obs and returns, for each, the
	// hit Count would return for it once all of them are recorded (nil for
	// none), in order.
	CountBatch(obs []Observation) ([]*ThresholdHit, error)
}

// MemoryThresholds is a ThresholdStore in memory: an exact sliding window.
// Once a group alerted, the records before its burst's end (BurstEnd) belong
// to that burst, and counting starts afresh after it. Records arriving more
// than a window out of order may be missed (older ones are forgotten).
type MemoryThresholds struct {
	groups map[string]*group // by rule id and group key
	seen   int               // observations since the last pruning
	newest time.Time         // the newest event time counted
}

// NewMemoryThresholds returns an empty MemoryThresholds.
func NewMemoryThresholds() *MemoryThresholds {
	return &MemoryThresholds{groups: map[string]*group{}}
}

// group is the records a threshold rule counted under one key, sorted by
// event time.
type group struct {
	window  time.Duration
	entries []entry
	// burstEnd is the end of the group's latest burst that alerted.
	burstEnd time.Time
}

type entry struct {
	t      time.Time
	id     string
	values []string
}

const pruneEvery = 10000

// Count implements ThresholdStore: it tries every window [start, start+W]
// that holds obs, start being the time of a counted record no older than W
// before obs.
func (m *MemoryThresholds) Count(obs Observation) (*ThresholdHit, error) {
	if m.seen++; m.seen >= pruneEvery {
		m.prune()
	}
	e := entry{t: obs.EventTime, id: obs.EventID, values: obs.Values}
	t := obs.Threshold
	k := obs.Rule + "\x00" + obs.Group
	g := m.groups[k]
	if g == nil {
		g = &group{window: t.Window}
		m.groups[k] = g
	}
	insert := func(e entry) {
		i := sort.Search(len(g.entries), func(i int) bool { return g.entries[i].t.After(e.t) })
		g.entries = slices.Insert(g.entries, i, e)
	}
	if e.t.Before(g.burstEnd) {
		// Part of the burst that alerted (or older).
		return nil, nil
	}
	if !obs.Distinct {
		// A record counts once however many copies of it arrive (an
		// organization trail's and a local trail's, overlapping files).
		if slices.ContainsFunc(g.entries, func(x entry) bool { return x.id == e.id }) {
			return nil, nil
		}
		insert(e)
	} else {
		// One entry per value, the newest: the count of a window is then
		// the number of its entries.
		for _, v := range e.values {
			if i := slices.IndexFunc(g.entries, func(x entry) bool { return x.values[0] == v }); i >= 0 {
				if !g.entries[i].t.Before(e.t) {
					continue
				}
				g.entries = slices.Delete(g.entries, i, i+1)
			}
			insert(entry{t: e.t, id: e.id, values: []string{v}})
		}
	}
	if e.t.After(m.newest) {
		m.newest = e.t
	}
	lo := sort.Search(len(g.entries), func(i int) bool { return !g.entries[i].t.Before(e.t.Add(-t.Window)) })
	for s := lo; s < len(g.entries) && !g.entries[s].t.After(e.t); s++ {
		end := g.entries[s].t.Add(t.Window)
		in := g.entries[s:]
		n := sort.Search(len(in), func(i int) bool { return in[i].t.After(end) })
		if n < t.Count {
			continue
		}
		in = in[:n]
		hit := &ThresholdHit{Group: obs.Group, Count: n, Window: t.Window.String(),
			First: in[0].t.UTC().Format(time.RFC3339), Last: in[n-1].t.UTC().Format(time.RFC3339)}
		for _, x := range in {
			if len(hit.EventIDs) == 0 || hit.EventIDs[len(hit.EventIDs)-1] != x.id {
				hit.EventIDs = append(hit.EventIDs, x.id)
			}
			if obs.Distinct {
				hit.Values = append(hit.Values, x.values[0])
			}
		}
		// The burst alerted: its records, and those up to its end, count no more.
		g.burstEnd = BurstEnd(in[0].t, t.Window)
		cut := sort.Search(len(g.entries), func(i int) bool { return !g.entries[i].t.Before(g.burstEnd) })
		g.entries = slices.Delete(g.entries, 0, cut)
		return hit, nil
	}
	return nil, nil
}

// prune forgets records that can no longer share a window with a new one:
// older than twice the window before the newest record counted.
func (m *MemoryThresholds) prune() {
	m.seen = 0
	for k, g := range m.groups {
		cut := m.newest.Add(-2 * g.window)
		i := sort.Search(len(g.entries), func(i int) bool { return !g.entries[i].t.Before(cut) })
		g.entries = g.entries[i:]
		if len(g.entries) == 0 && !g.burstEnd.After(cut) {
			delete(m.groups, k)
		}
	}
}
