package detect

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

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

// Detector runs an engine over a sequence of records, with the state of
// threshold rules in a ThresholdStore and of dedupe in a DedupeStore. It is
// not safe for concurrent use.
type Detector struct {
	engine     *Engine
	dedupe     DedupeStore
	thresholds ThresholdStore
	stats      Stats
	// pending are the observations a BatchThresholdStore counts at Flush.
	pending []pendingObservation
}

// pendingObservation is an observation deferred to Flush, with what its alert needs.
type pendingObservation struct {
	c   *compiled
	rec *Record
	obs Observation
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

// NewDetector returns a Detector for engine counting thresholds in memory
// (NewMemoryThresholds). A nil dedupe uses a MemoryDedupe.
func NewDetector(engine *Engine, dedupe DedupeStore) *Detector {
	return NewDetectorWith(engine, dedupe, nil)
}

// NewDetectorWith returns a Detector for engine with the given stores: a nil
// dedupe uses a MemoryDedupe, nil thresholds NewMemoryThresholds. Detectors
// that share the stores (such as the stream and archive functions sharing a
// table) share the dedupe and the threshold counts.
func NewDetectorWith(engine *Engine, dedupe DedupeStore, thresholds ThresholdStore) *Detector {
	if dedupe == nil {
		dedupe = MemoryDedupe{}
	}
	if thresholds == nil {
		thresholds = NewMemoryThresholds()
	}
	return &Detector{
		engine:     engine,
		dedupe:     dedupe,
		thresholds: thresholds,
		stats:      Stats{EvalErrors: map[string]int{}, FirstEvalError: map[string]*EvalError{}},
	}
}

// Stats returns the counts so far.
func (d *Detector) Stats() Stats { return d.stats }

// Process evaluates one record and returns its alerts, in rule order, each
// dedupe key once. A rule that fails on the record is counted in Stats and
// does not stop the others; only a DedupeStore or ThresholdStore failure is
// returned (the caller retries the record: both stores count it once). With
// a BatchThresholdStore, threshold rules are only noted here: Flush counts
// them and returns their alerts.
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
			var evalErr *EvalError
			var err error
			a, evalErr, err = d.threshold(m.c, rec)
			if evalErr != nil {
				d.evalError(evalErr)
			}
			if err != nil {
				return alerts, fmt.Errorf("threshold of rule %s: %w", m.Rule.ID, err)
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
	return alerts, nil
}

func (d *Detector) evalError(e *EvalError) {
	if d.stats.EvalErrors[e.Rule] == 0 {
		d.stats.FirstEvalError[e.Rule] = e
	}
	d.stats.EvalErrors[e.Rule]++
}

// threshold evaluates the group and the values of a threshold rule for rec,
// counts them in the ThresholdStore, and returns an alert when the count
// reaches the threshold.
func (d *Detector) threshold(c *compiled, rec *Record) (*Alert, *EvalError, error) {
	act := activation{rec: rec, ctx: d.engine.ctx, memo: &activationMemo{}}
	v, _, err := c.groupBy.Eval(act)
	if err != nil {
		return nil, &EvalError{Rule: c.ID, Field: "threshold.groupBy", Err: err}, nil
	}
	obs := Observation{Rule: c.ID, Group: fmt.Sprint(native(v)), Threshold: *c.Threshold,
		EventTime: rec.EventTime(), EventID: rec.EventID(), Distinct: c.distinct != nil}
	if obs.EventID == "" {
		// Copies of one record count once all the same.
		sum := sha256.Sum256(rec.compactJSON())
		obs.EventID = "sha256:" + hex.EncodeToString(sum[:])
	}
	if c.distinct != nil {
		v, _, err := c.distinct.Eval(act)
		if err != nil {
			return nil, &EvalError{Rule: c.ID, Field: "threshold.distinct", Err: err}, nil
		}
		obs.Values = stringValues(v)
		if len(obs.Values) == 0 {
			return nil, nil, nil
		}
	}
	if _, ok := d.thresholds.(BatchThresholdStore); ok {
		d.pending = append(d.pending, pendingObservation{c: c, rec: rec, obs: obs})
		return nil, nil, nil
	}
	hit, err := d.thresholds.Count(obs)
	if err != nil || hit == nil {
		return nil, nil, err
	}
	a := newAlert(c.Rule, rec)
	a.Threshold = hit
	a.DedupeKey = thresholdKey(c.ID, hit, c.Threshold.Window)
	return a, nil, nil
}

// Flush counts the observations of threshold rules deferred since the last
// Flush, when the ThresholdStore is a BatchThresholdStore (nothing otherwise:
// Process counted them), and returns their alerts, each dedupe key once: the
// alert of a window is the first record of the batch whose window reaches the
// threshold. A burst alerts once however many of its records cross the threshold
// (ThresholdDedupeKey). The caller calls it at the end of each batch, whatever happened;
// the deferred observations are dropped even when counting fails, and the
// caller retries the whole batch (the store counts a record again once).
func (d *Detector) Flush() ([]*Alert, error) {
	pending := d.pending
	d.pending = nil
	bs, ok := d.thresholds.(BatchThresholdStore)
	if !ok || len(pending) == 0 {
		return nil, nil
	}
	obs := make([]Observation, len(pending))
	for i, p := range pending {
		obs[i] = p.obs
	}
	hits, err := bs.CountBatch(obs)
	if err != nil {
		return nil, fmt.Errorf("threshold counts: %w", err)
	}
	var alerts []*Alert
	batch := map[string]bool{} // the dedupe keys of this batch's alerts
	for i, hit := range hits {
		if hit == nil {
			continue
		}
		p := pending[i]
		key := thresholdKey(p.c.ID, hit, p.c.Threshold.Window)
		if batch[key] {
			continue
		}
		batch[key] = true
		first, err := d.dedupe.FirstSeen(key)
		if err != nil {
			return alerts, fmt.Errorf("dedupe of %s: %w", key, err)
		}
		if !first {
			d.stats.Duplicates++
			continue
		}
		a := newAlert(p.c.Rule, p.rec)
		a.Threshold = hit
		a.DedupeKey = key
		d.stats.Alerts++
		alerts = append(alerts, a)
	}
	return alerts, nil
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
