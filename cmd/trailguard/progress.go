package main

import (
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/trailguard/trailguard/internal/eventhistory"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// barTotal is a bar's scale: the share of the time window covered, in
// hundredths of a percent.
const barTotal = 10000

// display shows an export's progress on stderr: a bar per region on a
// terminal, a line per completed region otherwise, nothing when quiet.
type display struct {
	e       *env
	quiet   bool
	bars    *mpb.Progress // nil unless stderr is a terminal
	mu      sync.Mutex
	regions map[string]*regionView
}

// regionView is what the display knows about one region.
type regionView struct {
	bar *mpb.Bar
	// started, baseEvents and baseCovered describe the region when this run
	// began, so that rate and ETA measure this run, not an earlier one.
	started     time.Time
	baseEvents  int64
	basePages   int64
	baseCovered float64

	mu    sync.Mutex
	cur   eventhistory.Progress
	ended bool
}

func newDisplay(e *env, quiet bool) *display {
	d := &display{e: e, quiet: quiet, regions: map[string]*regionView{}}
	if !quiet && e.terminal {
		// Whether stderr is a terminal is decided (env.terminal): refresh
		// even if mpb's own check disagrees.
		d.bars = mpb.New(mpb.WithOutput(e.stderr), mpb.WithAutoRefresh(), mpb.WithRefreshRate(250*time.Millisecond))
	}
	return d
}

// Observe updates a region's bar or, without bars, prints a line when a
// region completes. Export calls it from the regions' goroutines.
func (d *display) Observe(p eventhistory.Progress) {
	if d.quiet {
		return
	}
	d.mu.Lock()
	v, ok := d.regions[p.Region]
	if !ok {
		v = &regionView{started: d.e.now(), baseEvents: p.Events, basePages: p.Pages, baseCovered: p.Covered(), cur: p}
		d.regions[p.Region] = v
		// A region an earlier run completed is not this run's work: no bar,
		// no line.
		v.ended = p.Done
		if d.bars != nil && !p.Done {
			v.bar = d.bars.AddBar(barTotal, mpb.BarWidth(20),
				mpb.PrependDecorators(decor.Name(p.Region, decor.WCSyncSpaceR)),
				mpb.AppendDecorators(decor.Any(func(decor.Statistics) string { return v.status(d.e.now()) })),
			)
		}
	}
	d.mu.Unlock()

	v.mu.Lock()
	v.cur = p
	ending := (p.Done || p.Err != nil) && !v.ended
	v.ended = v.ended || ending
	v.mu.Unlock()

	switch {
	case v.bar == nil:
		if ending && p.Done {
			if v.baseEvents == 0 && v.basePages == 0 {
				fmt.Fprintf(d.e.stderr, "%s: done, %s events in %s pages\n", p.Region, group(p.Events), group(p.Pages))
			} else {
				fmt.Fprintf(d.e.stderr, "%s: done, %s more events in %s pages (%s in all)\n", p.Region,
					group(p.Events-v.baseEvents), group(p.Pages-v.basePages), group(p.Events))
			}
		}
	case p.Done:
		v.bar.SetCurrent(barTotal)
	case p.Err != nil:
		v.bar.Abort(false)
	default:
		v.bar.SetCurrent(int64(p.Covered() * barTotal))
	}
}

// status is the text after a region's bar: share of the window covered,
// events, pages, events per second and the estimated time left. The ETA
// assumes events spread evenly over the window: it is rough where activity
// comes in bursts.
func (v *regionView) status(now time.Time) string {
	v.mu.Lock()
	p := v.cur
	v.mu.Unlock()
	counts := fmt.Sprintf("%s ev %s pg", group(p.Events-v.baseEvents), group(p.Pages-v.basePages))
	switch {
	case p.Done:
		return "done " + counts
	case p.Err != nil:
		return "stopped " + counts
	}
	elapsed := now.Sub(v.started)
	rate, eta := "- ev/s", "ETA -"
	if s := elapsed.Seconds(); s > 0 {
		rate = fmt.Sprintf("%.0f ev/s", float64(p.Events-v.baseEvents)/s)
	}
	if gained := p.Covered() - v.baseCovered; gained > 0.001 {
		left := time.Duration(float64(elapsed) * (1 - p.Covered()) / gained)
		eta = "ETA " + left.Round(time.Second).String()
	}
	return fmt.Sprintf("%5.1f%% %s %s %s", math.Floor(p.Covered()*1000)/10, counts, rate, eta)
}

// finish ends every bar and waits until the bars are drawn for the last time.
func (d *display) finish() {
	if d.bars == nil {
		return
	}
	d.mu.Lock()
	for _, v := range d.regions {
		if v.bar != nil && !v.bar.Completed() {
			v.bar.Abort(false)
		}
	}
	d.mu.Unlock()
	d.bars.Wait()
}
