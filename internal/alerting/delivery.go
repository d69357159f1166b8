package alerting

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/trailguard/trailguard/detect"
)

// Delivery guarantee (docs/detection.md, "Delivery"): every alert reaches every target at
// least once, and each target once unless the transport itself duplicates it.
//
// Lambda runs the functions at least once: a batch whose invocation failed, timed out or
// died is delivered again, and a process can die between any two calls. So a dedupe claim
// is a lease, not a verdict. An alert's item in the store is pending, held by one owner (the
// input record or message that raised it) until a lease expiry a little past the
// invocation's deadline, and records each target that accepted the alert; it is done once
// every target has. A retry of the same input takes its own lease over at once (Lambda never
// runs one stream record or one queue message in two invocations at the same time: a shard
// is read in order, a message is invisible while it is processed), another input waits for
// the lease to end or lapse, and a lapsed lease is taken over with what was delivered kept,
// so the retry sends only what did not arrive. Cleanup runs on a context of its own, never
// on the invocation's expiring one, and an outcome that cannot be recorded fails the input
// so that Lambda retries it.

// LeaseState is what a Lease call found.
type LeaseState int

const (
	// Leased: the caller holds the alert's lease and delivers it to the targets not in
	// Lease.Delivered.
	Leased LeaseState = iota
	// Done: every target has accepted the alert.
	Done
	// Busy: another input holds a lease that has not lapsed; it is delivering the alert.
	Busy
)

// Lease is the outcome of Store.Lease.
type Lease struct {
	State LeaseState
	// Delivered are the targets that accepted the alert before (Leased).
	Delivered []string
	// Until is when the other holder's lease lapses (Busy).
	Until time.Time
}

// Store keeps each alert's delivery state, keyed by its dedupe key (the alert ID), shared
// by the stream and archive functions.
type Store interface {
	// Lease takes key's lease for owner until the given time: a new key, an expired one, a
	// pending one whose lease lapsed or that owner holds. It reports Done and Busy without
	// taking it.
	Lease(ctx context.Context, key, owner string, until time.Time) (Lease, error)
	// Delivered records that target accepted key's alert and, when done, that every target
	// has (one call for the last target and the completion).
	Delivered(ctx context.Context, key, target string, done bool) error
	// Release gives up owner's lease of key without completing it, so that a retry takes
	// it over at once instead of when it lapses.
	Release(ctx context.Context, key, owner string) error
}

// MemoryStore is a Store for one process (a function without a dedupe table, and tests).
// It is safe for concurrent use.
type MemoryStore struct {
	mu    sync.Mutex
	items map[string]*memoryItem
	// Now returns the time. Default: time.Now.
	Now func() time.Time
}

type memoryItem struct {
	done      bool
	owner     string
	until     time.Time
	delivered []string
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{items: map[string]*memoryItem{}} }

func (m *MemoryStore) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

// Lease implements Store.
func (m *MemoryStore) Lease(_ context.Context, key, owner string, until time.Time) (Lease, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.items == nil {
		m.items = map[string]*memoryItem{}
	}
	it := m.items[key]
	switch {
	case it == nil:
		m.items[key] = &memoryItem{owner: owner, until: until}
		return Lease{State: Leased}, nil
	case it.done:
		return Lease{State: Done}, nil
	case it.owner != owner && it.until.After(m.now()):
		return Lease{State: Busy, Until: it.until}, nil
	}
	it.owner, it.until = owner, until
	return Lease{State: Leased, Delivered: slices.Clone(it.delivered)}, nil
}

// Delivered implements Store.
func (m *MemoryStore) Delivered(_ context.Context, key, target string, done bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	it := m.items[key]
	if it == nil {
		return nil
	}
	if !slices.Contains(it.delivered, target) {
		it.delivered = append(it.delivered, target)
	}
	if done {
		it.done, it.owner, it.until = true, "", time.Time{}
	}
	return nil
}

// Release implements Store.
func (m *MemoryStore) Release(_ context.Context, key, owner string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if it := m.items[key]; it != nil && !it.done && it.owner == owner {
		it.until = time.Time{}
	}
	return nil
}

// Timing of deliveries.
const (
	// LeaseMargin is how long a lease outlives its invocation's deadline: the invocation
	// is stopped at its deadline, and the hosts' clocks differ by far less.
	LeaseMargin = 2 * time.Second
	// DefaultLease is a lease's length without a deadline (trailguard detect, tests): the
	// longest a Lambda function runs (15 minutes), and a margin.
	DefaultLease = 15*time.Minute + LeaseMargin
	// CleanupReserve is the time kept before the invocation's deadline to record outcomes
	// and give leases up: the targets' calls are cut off that long before it.
	CleanupReserve = 3 * time.Second
	// cleanupTimeout bounds each call that records an outcome.
	cleanupTimeout = 2 * time.Second
	// maxBusyWait is the longest one wait for another input's lease between two reads.
	maxBusyWait = 2 * time.Second
)

// ErrBusy marks an alert another input is delivering whose lease did not end within this
// invocation: the input is retried, and finds the alert done or the lease lapsed.
var ErrBusy = errors.New("alert being delivered by another invocation")

// deliver sends a to every target that has not accepted it yet, under a lease of its dedupe
// key held for owner, and reports whether this call published it (false: done before). An
// error means the input must be retried: the lease was given up, or lapses, so the retry
// delivers what did not arrive.
func (p *Processor) deliver(ctx context.Context, owner string, a *detect.Alert) (bool, error) {
	key := a.DedupeKey
	work, cancel := workContext(ctx)
	defer cancel()
	lease, err := p.lease(work, key, owner, leaseUntil(ctx, p.now()))
	if err != nil || lease.State == Done {
		return false, err
	}
	body, err := Body(a)
	if err != nil {
		p.cleanup(ctx, func(c context.Context) error { return p.store.Release(c, key, owner) })
		return false, err
	}
	var pending []Target
	for _, t := range p.publisher.targets() {
		if !slices.Contains(lease.Delivered, t.Name()) {
			pending = append(pending, t)
		}
	}
	if len(pending) == 0 {
		// Every target took it before a process died recording it done.
		last := p.publisher.targets()
		if err := p.cleanup(ctx, func(c context.Context) error { return p.store.Delivered(c, key, last[len(last)-1].Name(), true) }); err != nil {
			return false, fmt.Errorf("alert %s delivered but not recorded as done (the retry finds every target recorded): %w", key, err)
		}
		return false, nil
	}
	var errs []error
	for i, t := range pending {
		if err := t.Deliver(work, a, body); err != nil {
			errs = append(errs, err)
			continue
		}
		// Recorded at once, the completion with the last target: a retry must not send it
		// again.
		done := len(errs) == 0 && i == len(pending)-1
		if err := p.cleanup(ctx, func(c context.Context) error { return p.store.Delivered(c, key, t.Name(), done) }); err != nil {
			return false, fmt.Errorf("%s accepted alert %s but that could not be recorded (the retry sends it again, with the same alert ID): %w", t.Name(), key, err)
		}
	}
	if len(errs) > 0 {
		if err := p.cleanup(ctx, func(c context.Context) error { return p.store.Release(c, key, owner) }); err != nil {
			p.log.Warn("lease not given up: the retry takes it over when it lapses", "dedupeKey", key, "error", err)
		}
		return false, errors.Join(errs...)
	}
	return true, nil
}

// lease takes key's lease, waiting while another input holds it, until the work context
// ends (ErrBusy).
func (p *Processor) lease(ctx context.Context, key, owner string, until time.Time) (Lease, error) {
	for {
		l, err := p.store.Lease(ctx, key, owner, until)
		if err != nil {
			return l, fmt.Errorf("lease of alert %s: %w", key, err)
		}
		if l.State != Busy {
			return l, nil
		}
		wait := min(max(l.Until.Sub(p.now()), 50*time.Millisecond), maxBusyWait)
		select {
		case <-ctx.Done():
			return l, fmt.Errorf("%w: %s (its lease lapses at %s)", ErrBusy, key, l.Until.UTC().Format(time.RFC3339))
		case <-time.After(wait):
		}
	}
}

// cleanup runs f on a context of its own, detached from the invocation's (which may have
// expired) and bounded by cleanupTimeout.
func (p *Processor) cleanup(ctx context.Context, f func(context.Context) error) error {
	c, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	return f(c)
}

// workContext is ctx ending CleanupReserve before its deadline, so that a target that hangs
// leaves time to record what happened.
func workContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if d, ok := ctx.Deadline(); ok {
		return context.WithDeadline(ctx, d.Add(-CleanupReserve))
	}
	return context.WithCancel(ctx)
}

// leaseUntil is when a lease taken now lapses: LeaseMargin past the invocation's deadline,
// or DefaultLease without one.
func leaseUntil(ctx context.Context, now time.Time) time.Time {
	if d, ok := ctx.Deadline(); ok {
		return d.Add(LeaseMargin)
	}
	return now.Add(DefaultLease)
}
