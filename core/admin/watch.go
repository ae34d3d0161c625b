package admin

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"strings"

	"opensms/core/model"
	"opensms/core/protocol"
	"opensms/core/watchdog"
)

// SiteKey implements API.
func (l *Local) SiteKey(ctx context.Context, site string) (_ SiteKey, err error) {
	defer fail(&err)
	code := strings.ToUpper(strings.TrimSpace(site))
	if code == "" {
		if code, err = l.st.HomeSite(ctx); err != nil {
			return SiteKey{}, mustExist("a home site (add a site first)", err)
		}
	}
	if err := l.requireSite(ctx, code); err != nil {
		return SiteKey{}, err
	}
	priv, err := l.st.SiteKey(ctx, code)
	if err != nil {
		return SiteKey{}, fmt.Errorf("reading the key of site %s: %w", code, err)
	}
	pub := priv.Public().(ed25519.PublicKey)
	return SiteKey{Site: code, Fingerprint: protocol.Fingerprint(pub), PublicKey: pub}, nil
}

// ListEvents implements API.
func (l *Local) ListEvents(ctx context.Context, f EventFilter) (_ []model.Event, err error) {
	defer fail(&err)
	evs, err := l.st.ListEvents(ctx, model.EventFilter{Job: f.Job, Computer: f.Computer, Severity: f.Severity, Since: f.Since, Limit: f.Limit})
	if err != nil {
		return nil, fmt.Errorf("listing events: %w", err)
	}
	return nonNil(evs), nil
}

// cycleBuffer holds the updates of one cycle for RunCycle; a cycle of a
// large site publishes many transfer updates, and only events are kept.
const cycleBuffer = 4096

// RunCycle implements API.
func (l *Local) RunCycle(ctx context.Context) (_ CycleResult, err error) {
	defer fail(&err)
	updates, stop := l.wd.Subscribe(cycleBuffer)
	res := CycleResult{Events: []model.Event{}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for u := range updates {
			if u.Kind == watchdog.UpdateEvent && u.Event != nil {
				res.Events = append(res.Events, *u.Event)
			}
		}
	}()
	runErr := l.wd.RunOnce(ctx)
	stop()
	<-done
	if runErr != nil {
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		res.Err = "the cycle did not finish its work: " + withAdvice(runErr)
	}
	return res, nil
}

// Watchdog implements API.
func (l *Local) Watchdog(ctx context.Context) (_ WatchdogState, err error) {
	defer fail(&err)
	next := l.wd.NextCycle()
	return WatchdogState{Running: !next.IsZero(), NextCycle: next, Transfers: l.wd.Transfers()}, nil
}

// watchBuffer is how many changes a watcher may fall behind by before it
// loses some.
const watchBuffer = 256

// Watch implements API. The goroutine it starts ends with ctx, and ends
// the subscription, which closes the channel.
func (l *Local) Watch(ctx context.Context) (_ <-chan Change, err error) {
	defer fail(&err)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ch, stop := l.wd.Subscribe(watchBuffer)
	go func() {
		<-ctx.Done()
		stop()
	}()
	return ch, nil
}

// announce tells every watcher that a record changed, when err says it
// did, and returns err: the Watch stream then carries what any
// Administrator (a window, smsctl) changed, not only what the watchdog did.
func (l *Local) announce(err error, kind watchdog.UpdateKind, r watchdog.Record) error {
	if err == nil {
		l.wd.Publish(watchdog.Update{Kind: kind, Record: &r})
	}
	return err
}
