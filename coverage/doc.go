// Package coverage is trailguard's coverage monitor, in pure Go (no CDK): every forwarding
// account and region puts a heartbeat event on its default bus on a schedule, the event
// travels the forwarder's own rules to the Security stream like any forwarded event, the
// stream function records when each (account, region) was last heard from (Table), and the
// monitor function (Evaluate) compares that with the pairs the config expects, alerting when
// one falls silent, recovers, or forwards without being expected.
//
// The archive function records, per log file of the organization trail, its account and
// region and its latest activity (ArchiveActivity, Table.RecordArchive; a separate attribute
// from the heartbeats): a pair active in the archive that no forwarder covers, neither
// expected nor ever heard from, is unforwarded (RuleUnforwarded), typically within
// UnforwardedLatency = ArchiveDelay + DeliveryAllowance + MonitorInterval = 21 minutes of
// the call.
//
// A heartbeat proves the whole path: the schedule, the forwarder's rule, its role and target,
// the receiving bus and its rule (other regions), the stream and the stream function. Break
// any of them, delete the forwarder stack, or leave a configured region without one, and the
// pair falls silent.
//
// Worst case from a break to the alert (defaults): the last heartbeat that got through
// arrived at L (at most DeliveryAllowance after it passed the broken part); the monitor
// declares the pair silent at its first run after L + SilentAfter, at most MonitorInterval
// later: SilentAfter + MonitorInterval + DeliveryAllowance = 20 + 5 + 1 = 26 minutes, under
// the 30 the design promises. SilentAfter is two heartbeat intervals, so one late or lost
// heartbeat does not alert.
//
// The coveragemonitor construct deploys all of it; its functions use the package so:
//
//	table := &coverage.Table{Client: dynamodb.NewFromConfig(awsCfg), Name: os.Getenv(coverage.EnvTable)}
//
//	// The stream function, for each record:
//	if hb, ok := coverage.ParseHeartbeat(data, arrived); ok {
//		err = table.Record(ctx, hb)
//	}
//
//	// The monitor function, every MonitorInterval:
//	rows, err := table.Scan(ctx)
//	res := coverage.Evaluate(time.Now(), expected, rows, coverage.Options{})
//	for _, a := range coverage.Alerts(time.Now(), res) {
//		// publish a (a *detect.Alert) like the detection functions' alerts
//	}
//	for _, u := range res.Updates {
//		err = table.Save(ctx, u) // after alerting: a failed run alerts again
//	}
package coverage
