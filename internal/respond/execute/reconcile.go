package execute

// reconciler is one action on one resource: how to read its state, when the state is right,
// which changing calls would make it right, and how to make them. reconcile runs it.
type reconciler[S any] struct {
	// read returns the resource's current state, and false when the resource no longer
	// exists.
	read func() (S, bool, error)
	// inspect, optional, looks at the state read before acting (e.g. the resource's
	// CloudFormation stack tag), whatever the state.
	inspect func(S)
	// right reports whether the state needs no change.
	right func(S) bool
	// plan returns the changing calls that would make a wrong state right, with their
	// parameters, for the audit alert (made in enforce, reported in dry-run).
	plan func(S) []string
	// act makes the calls plan described.
	act func(S) error
}

// reconcile is the one skeleton of every action: read the state; a resource gone or already
// right is left alone; otherwise, in dry-run, report the calls, and in enforce make them and
// read the state again. Events arrive late and out of order, so the decision to act rests on
// the state read here, never on the event; run twice, the second run finds nothing to do.
func reconcile[S any](enforce bool, o *Outcome, r reconciler[S]) error {
	before, exists, err := r.read()
	if err != nil {
		return err
	}
	if !exists {
		o.Result = Gone
		return nil
	}
	o.Before = before
	if r.inspect != nil {
		r.inspect(before)
	}
	if r.right(before) {
		o.Result = AlreadyRight
		return nil
	}
	o.Calls = r.plan(before)
	if !enforce {
		o.Result = WouldAct
		return nil
	}
	if err := r.act(before); err != nil {
		return err
	}
	o.Result = Acted
	// The state after is for the audit alert; failing to read it does not undo the action.
	if after, ok, err := r.read(); err == nil && ok {
		o.After = after
	}
	return nil
}
