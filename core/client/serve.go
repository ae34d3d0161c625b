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
	if interval <= 0 {
		interval = DefaultInterval
	}
	e.log.Info("agent started", "computer", e.Computer(), "interval", interval)
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			e.log.Info("agent stopped")
			return nil
		case <-t.C:
		}
		e.serveOnce(ctx, onChange)
		t.Reset(e.nextWake(interval))
	}
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
