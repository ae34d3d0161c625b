package client

import (
	"context"
	"errors"
	"time"
)

// DefaultInterval is how often the agent polls when no interval is given.
const DefaultInterval = 5 * time.Minute

// Serve is the agent's loop: poll, run the unattended offers (automated
// system background tasks) that are due, and again every interval (sooner
// when such an offer falls due before then), until ctx ends. Other due
// offers wait for a person: a window attached to the agent counts them
// down and runs them through Run. Statuses are reported by the runs
// themselves; those an unreachable share did not take go at the next poll.
// onChange, if not nil, gets the offers after each poll and each round of
// runs. Serve returns nil when ctx ends and ErrNotEnrolled when there is no
// enrolment; poll and run errors are logged and the loop goes on.
func (e *Engine) Serve(ctx context.Context, interval time.Duration, onChange func([]Offer)) error {
	if _, ok := e.Enrolled(); !ok {
		return ErrNotEnrolled
	}
	e.mu.Lock()
	if e.interval <= 0 { // a kept setting wins over the argument
		e.interval = interval
	}
	interval = e.intervalLocked()
	e.mu.Unlock()
	e.log.Info("agent started", "computer", e.Computer(), "interval", interval)
	// Offers also change between rounds: a user's window or smsctl polls
	// through the agent, another window defers. A background job they
	// bring must not wait for the next round.
	events, stop := e.Subscribe()
	defer stop()
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			e.log.Info("agent stopped")
			return nil
		case ev := <-events:
			if ev.Kind == EventOffers {
				// (also after a settings change: a new interval counts now)
				t.Reset(min(e.nextWake(e.Settings().Interval), dueWake(ev.Offers)))
			}
			continue
		case <-t.C:
		}
		if _, ok := e.Enrolled(); !ok {
			// Unenrolled meanwhile: wait, quietly, for root to enrol again.
			t.Reset(e.Settings().Interval)
			continue
		}
		e.serveOnce(ctx, onChange)
		// What this round's own polls and runs reported is known here.
		for drained := false; !drained; {
			select {
			case <-events:
			default:
				drained = true
			}
		}
		t.Reset(e.nextWake(e.Settings().Interval))
	}
}

// dueSoon is how soon the loop wakes for an unattended offer a change
// outside it found already due.
const dueSoon = time.Second

// dueWake is dueSoon when offers holds an unattended offer that is due,
// else forever. Only changes from outside the loop use it: after a round
// a due offer that could not run (every server down) waits for the next.
func dueWake(offers []Offer) time.Duration {
	for _, o := range offers {
		if o.State == OfferDue && Unattended(o) {
			return dueSoon
		}
	}
	return time.Duration(1<<63 - 1)
}

// serveOnce is one round of the agent loop.
func (e *Engine) serveOnce(ctx context.Context, onChange func([]Offer)) {
	notify := func() {
		if onChange != nil {
			onChange(e.Offers())
		}
	}
	if _, err := e.Poll(ctx); err != nil && ctx.Err() == nil {
		e.log.Warn("poll failed", "err", err)
	}
	notify()
	hs, err := e.runDue(ctx, Unattended, nil)
	if err != nil && !errors.Is(err, context.Canceled) {
		e.log.Warn("due jobs did not all complete", "err", err)
	}
	if len(hs) > 0 {
		notify()
	}
}

// nextWake is how long the agent sleeps: the interval, or less when an
// unattended mandatory offer falls due sooner.
func (e *Engine) nextWake(interval time.Duration) time.Duration {
	now := e.cfg.Now()
	wait := interval
	for _, o := range e.Offers() {
		if o.State == OfferAvailable && o.Mandatory && Unattended(o) {
			if d := o.DueAt.Sub(now); d > 0 && d < wait {
				wait = d + time.Second
			}
		}
	}
	return wait
}
