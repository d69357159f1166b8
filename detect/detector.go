package detect

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
)

// DedupeStore remembers the alerts already raised. The stream and archive
// consumers share one (such as a table with a conditional put and a time to
// live of a few days) so that an event alerts once, whichever sees it first.
type DedupeStore interface {
	// FirstSeen records key and reports whether it was new.
	FirstSeen(key string) (bool, error)
}

// MemoryDedupe is a DedupeStore in memory, for one process. It holds only
// the keys of alerts raised, not of every record.
type MemoryDedupe map[string]struct{}

// FirstSeen implements DedupeStore.
func (m MemoryDedupe) FirstSeen(key string) (bool, error) {
	if _, ok := m[key]; ok {
		return false, nil
	}
	m[key] = struct{}{}
	return true, nil
}

// Detector runs an engine over a sequence of records, keeping the state of
// threshold rules and of dedupe. It is not safe for concurrent use.
type Detector struct {
	engine *Engine
	dedupe DedupeStore
	groups map[string]*group // by rule id and group key
	stats  Stats
	seen   int       // records since the last pruning
	newest time.Time // the newest event time counted by a threshold
}

// Stats counts what a Detector did.
type Stats struct {
	// Records is the number of records processed.
	Records int
	// Alerts is the number of alerts returned.
	Alerts int
	// Duplicates is the number of alerts dropped because their dedupe key
	// was seen before.
	Duplicates int
	// EvalErrors counts, per rule id, the records a rule failed on.
	EvalErrors map[string]int
	// FirstEvalError is the first failure of each rule that failed.
	FirstEvalError map[string]*EvalError
}

// NewDetector returns a Detector for engine. A nil dedupe uses a
// MemoryDedupe.
func NewDetector(engine *Engine, dedupe DedupeStore) *Detector {
	if dedupe == nil {
		dedupe = MemoryDedupe{}
	}
	return &Detector{
		engine: engine,
		dedupe: dedupe,
		groups: map[string]*group{},
		stats:  Stats{EvalErrors: map[string]int{}, FirstEvalError: map[string]*EvalError{}},
	}
}

// Stats returns the counts so far.
func (d *Detector) Stats() Stats { return d.stats }

// Process evaluates one record and returns its alerts, in rule order, each
// dedupe key once. A rule that fails on the record is counted in Stats and
// does not stop the others; only a DedupeStore failure is returned.
func (d *Detector) Process(rec *Record) ([]*Alert, error) {
	d.stats.Records++
	matches, errs := d.engine.Match(rec)
	for _, e := range errs {
		d.evalError(e)
	}
	var alerts []*Alert
	for _, m := range matches {
		var a *Alert
		if m.Rule.Threshold == nil {
			a = newAlert(m.Rule, rec)
		} else {
			var err *EvalError
			a, err = d.threshold(m.c, rec)
			if err != nil {
				d.evalError(err)
			}
			if a == nil {
				continue
			}
		}
		first, err := d.dedupe.FirstSeen(a.DedupeKey)
		if err != nil {
			return alerts, fmt.Errorf("dedupe of %s: %w", a.DedupeKey, err)
		}
		if !first {
			d.stats.Duplicates++
			continue
		}
		d.stats.Alerts++
		alerts = append(alerts, a)
	}
	if d.seen++; d.seen >= pruneEvery {
		d.prune()
	}
	return alerts, nil
}

func (d *Detector) evalError(e *EvalError) {
	if d.stats.EvalErrors[e.Rule] == 0 {
		d.stats.FirstEvalError[e.Rule] = e
	}
	d.stats.EvalErrors[e.Rule]++
}

// group is the records a threshold rule counted under one key, sorted by
// event time.
type group struct {
	window  time.Duration
	entries []entry
}

type entry struct {
	t      time.Time
	id     string
	values []string
}

const pruneEvery = 10000

// threshold counts rec for a threshold rule and returns an alert when the
// count reaches the threshold within a window that holds rec.
func (d *Detector) threshold(c *compiled, rec *Record) (*Alert, *EvalError) {
	act := activation{rec: rec}
	v, _, err := c.groupBy.Eval(act)
	if err != nil {
		return nil, &EvalError{Rule: c.ID, Field: "threshold.groupBy", Err: err}
	}
	key := fmt.Sprint(native(v))
	e := entry{t: rec.EventTime(), id: rec.EventID()}
	if c.distinct != nil {
		v, _, err := c.distinct.Eval(act)
		if err != nil {
			return nil, &EvalError{Rule: c.ID, Field: "threshold.distinct", Err: err}
		}
		e.values = stringValues(v)
		if len(e.values) == 0 {
			return nil, nil
		}
	}
	t := c.Threshold
	g := d.groups[c.ID+"\x00"+key]
	if g == nil {
		g = &group{window: t.Window}
		d.groups[c.ID+"\x00"+key] = g
	}
	insert := func(e entry) {
		i := sort.Search(len(g.entries), func(i int) bool { return g.entries[i].t.After(e.t) })
		g.entries = slices.Insert(g.entries, i, e)
	}
	if c.distinct == nil {
		// A record counts once however many copies of it arrive (an
		// organization trail's and a local trail's, overlapping files).
		if e.id != "" && slices.ContainsFunc(g.entries, func(x entry) bool { return x.id == e.id }) {
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
	if e.t.After(d.newest) {
		d.newest = e.t
	}
	// Try every window [start, start+W] that holds rec, start being the
	// time of a counted record no older than W before rec.
	lo := sort.Search(len(g.entries), func(i int) bool { return !g.entries[i].t.Before(e.t.Add(-t.Window)) })
	for s := lo; s < len(g.entries) && !g.entries[s].t.After(e.t); s++ {
		end := g.entries[s].t.Add(t.Window)
		in := g.entries[s:]
		n := sort.Search(len(in), func(i int) bool { return in[i].t.After(end) })
		if n < t.Count {
			continue
		}
		in = in[:n]
		a := newAlert(c.Rule, rec)
		hit := &ThresholdHit{Group: key, Count: n, Window: t.Window.String(),
			First: in[0].t.UTC().Format(time.RFC3339), Last: in[n-1].t.UTC().Format(time.RFC3339)}
		for _, x := range in {
			if len(hit.EventIDs) == 0 || hit.EventIDs[len(hit.EventIDs)-1] != x.id {
				hit.EventIDs = append(hit.EventIDs, x.id)
			}
			if c.distinct != nil {
				hit.Values = append(hit.Values, x.values[0])
			}
		}
		a.Threshold = hit
		a.DedupeKey = ThresholdDedupeKey(c.ID, key, e.t, t.Window)
		// Start counting afresh: the records of this window alerted.
		g.entries = slices.Delete(g.entries, s, s+n)
		return a, nil
	}
	return nil, nil
}

// stringValues returns a string, or the strings in a list.
func stringValues(v ref.Val) []string {
	switch x := native(v).(type) {
	case string:
		if x == "" {
			return nil
		}
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			if s, ok := e.(string); ok && s != "" {
				out = append(out, s)
			}
		}
		return out
	}
	if v == types.NullValue {
		return nil
	}
	return []string{fmt.Sprint(native(v))}
}

// prune forgets records that can no longer share a window with a new one:
// older than twice the window before the newest record counted. Records
// arriving more than a window out of order may thus be missed.
func (d *Detector) prune() {
	d.seen = 0
	for k, g := range d.groups {
		cut := d.newest.Add(-2 * g.window)
		i := sort.Search(len(g.entries), func(i int) bool { return !g.entries[i].t.Before(cut) })
		g.entries = g.entries[i:]
		if len(g.entries) == 0 {
			delete(d.groups, k)
		}
	}
}
