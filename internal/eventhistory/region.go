package eventhistory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/trailguard/trailguard/internal/eventhistory/checkpoint"
	"github.com/trailguard/trailguard/internal/eventhistory/output"
)

// lookupEventsAPI is the part of the CloudTrail client an export uses.
type lookupEventsAPI interface {
	LookupEvents(context.Context, *cloudtrail.LookupEventsInput, ...func(*cloudtrail.Options)) (*cloudtrail.LookupEventsOutput, error)
}

// openWriter opens the region's output at pos.
func (x *exporter) openWriter(region string, pos output.Position) (output.Writer, error) {
	if Format(x.state.Format) == CloudTrailFiles {
		if x.opts.Account != "" {
			return output.OpenCloudTrailAccount(x.opts.Dir, x.opts.Account, region, x.state.EventsPerFile, pos)
		}
		return output.OpenCloudTrail(x.opts.Dir, region, x.state.EventsPerFile, pos)
	}
	return output.OpenJSONLines(filepath.Join(x.opts.Dir, x.opts.Account, region+".jsonl"), pos)
}

// exportRegion exports one region, from its checkpointed state rs on, until
// it is done, fails, or ctx is canceled. rs is the region's own.
func (x *exporter) exportRegion(ctx context.Context, region string, rs *checkpoint.Region) (res RegionResult) {
	before := rs.Events
	defer func() {
		if p := recover(); p != nil {
			res.Err = fmt.Errorf("internal error: %v", p)
		}
		res.Region, res.Events, res.Pages, res.Done = region, rs.Events, rs.Pages, rs.Done
		res.RunEvents = rs.Events - before
		res.TokenResumes, res.WindowResumes = rs.TokenResumes, rs.WindowResumes
		x.observe(region, rs, res.Err)
	}()
	if rs.Done {
		return res
	}
	w, err := x.openWriter(region, rs.Output)
	if err != nil {
		res.Err = err
		return res
	}
	defer w.Close()
	switch {
	case rs.NextToken != "":
		rs.TokenResumes++
	case !rs.Cursor.IsZero() && rs.QueryEnd.After(rs.Cursor):
		// Events were written but no token leads on from them (the last
		// page's output could not be finished): continue from the cursor.
		rs.QueryEnd = rs.Cursor
		rs.WindowResumes++
	}

	lastSave := time.Now()
	save := func() error {
		pos, err := w.Sync()
		if err != nil {
			return err
		}
		rs.Output = pos
		if err := x.file.Save(region, rs); err != nil {
			return err
		}
		lastSave = time.Now()
		return w.Release()
	}
	res.Err = x.pages(ctx, region, rs, w, func(last bool) error {
		if last {
			pos, err := w.Finish()
			if err != nil {
				return err
			}
			rs.Output, rs.Done = pos, true
			if err := x.file.Save(region, rs); err != nil {
				return err
			}
			return w.Release()
		}
		if time.Since(lastSave) >= x.opts.CheckpointInterval {
			if err := save(); err != nil {
				return err
			}
		}
		x.observe(region, rs, nil)
		return nil
	})
	var torn *tornPageError
	if res.Err != nil && !rs.Done && !errors.As(res.Err, &torn) {
		// Keep what was written: the next run continues from here. Not after
		// a page was half written: the last checkpoint stays, and the next
		// run cuts the output back to it.
		if err := save(); err != nil {
			res.Err = errors.Join(res.Err, fmt.Errorf("save checkpoint: %w", err))
		}
	}
	return res
}

// pages requests the region's pages and writes their events, calling
// written after each page.
func (x *exporter) pages(ctx context.Context, region string, rs *checkpoint.Region, w output.Writer, written func(last bool) error) error {
	client := x.client(region)
	pagesSinceSwitch := 1
	for {
		in := &cloudtrail.LookupEventsInput{
			StartTime:        aws.Time(x.state.Start),
			EndTime:          aws.Time(rs.QueryEnd),
			LookupAttributes: x.lookup,
			MaxResults:       aws.Int32(pageSize),
		}
		if rs.NextToken != "" {
			in.NextToken = aws.String(rs.NextToken)
		}
		out, err := client.LookupEvents(ctx, in)
		if err != nil {
			if ctx.Err() != nil {
				return ErrInterrupted
			}
			// A rejected token (they expire) is not fatal: continue by time
			// window from the oldest event written. Only after progress, so
			// that a server rejecting every token cannot keep us looping.
			var bad *types.InvalidNextTokenException
			if rs.NextToken != "" && errors.As(err, &bad) && pagesSinceSwitch > 0 {
				rs.NextToken = ""
				if !rs.Cursor.IsZero() {
					rs.QueryEnd = rs.Cursor
				}
				rs.WindowResumes++
				pagesSinceSwitch = 0
				continue
			}
			return describe(err, region, "cloudtrail:LookupEvents", x.opts.MaxAttempts)
		}
		pagesSinceSwitch++
		for _, ev := range out.Events {
			id, t := aws.ToString(ev.EventId), aws.ToTime(ev.EventTime)
			if rs.Seen(id, t) {
				continue
			}
			if err := w.Append(record(ev), t); err != nil {
				return &tornPageError{fmt.Errorf("write event %s: %w", id, err)}
			}
			rs.Advance(id, t)
		}
		rs.Pages++
		rs.NextToken = aws.ToString(out.NextToken)
		if err := written(rs.NextToken == ""); err != nil {
			return err
		}
		if rs.NextToken == "" {
			return nil
		}
	}
}

// tornPageError is a failure in the middle of writing a page, after which
// the region's state must not be checkpointed.
type tornPageError struct{ err error }

func (e *tornPageError) Error() string { return e.err.Error() }

func (e *tornPageError) Unwrap() error { return e.err }

func (x *exporter) observe(region string, rs *checkpoint.Region, err error) {
	if x.opts.Observer == nil {
		return
	}
	x.opts.Observer.Observe(Progress{
		Account: x.opts.Account,
		Region:  region,
		Start:   x.state.Start,
		End:     x.state.End,
		Events:  rs.Events,
		Pages:   rs.Pages,
		Cursor:  rs.Cursor,
		Done:    rs.Done,
		Err:     err,
	})
}

// record returns the event's full CloudTrail record. Should Event History
// ever return no valid one, the record is rebuilt from the LookupEvents
// fields, keeping the raw text, so that the event is not lost.
func record(ev types.Event) []byte {
	raw := aws.ToString(ev.CloudTrailEvent)
	if raw != "" && json.Valid([]byte(raw)) {
		return []byte(raw)
	}
	r := map[string]any{
		"eventID":     aws.ToString(ev.EventId),
		"eventName":   aws.ToString(ev.EventName),
		"eventSource": aws.ToString(ev.EventSource),
		"eventTime":   aws.ToTime(ev.EventTime).UTC().Format(time.RFC3339),
		"userIdentity": map[string]string{
			"userName":    aws.ToString(ev.Username),
			"accessKeyId": aws.ToString(ev.AccessKeyId),
		},
		"readOnly":                     aws.ToString(ev.ReadOnly) == "true",
		"resources":                    ev.Resources,
		"trailguardRebuiltFromLookup":  true,
		"trailguardRawCloudTrailEvent": raw,
	}
	b, _ := json.Marshal(r) // plain strings, bools and structs: cannot fail
	return b
}
