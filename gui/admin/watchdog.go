package admin

import (
	"context"
	"time"

	"fyne.io/fyne/v2"

	"opensms/core/watchdog"
)

// Watchdog is what the Administrator needs of the watchdog service; cmd/smsadmin
// passes the real *watchdog.Service.
type Watchdog interface {
	RunOnce(ctx context.Context) error
	Wake()
	Subscribe(buf int) (<-chan watchdog.Update, func())
	NextCycle() time.Time
	Transfers() []watchdog.Transfer
	CancelJob(ctx context.Context, id string) error
	DeleteJob(ctx context.Context, id string) error
}

// redrawEvery is how long updates are coalesced before widgets redraw: the
// watchdog may publish hundreds of transfer updates a second.
const redrawEvery = 200 * time.Millisecond

// follow subscribes to the watchdog and hands the updates that arrived to
// apply on the UI goroutine, at most once per redrawEvery, until ctx ends.
// The goroutine it starts ends with ctx and unsubscribes.
func (a *Admin) follow(ctx context.Context, apply func([]watchdog.Update)) {
	if a.wd == nil {
		return
	}
	ch, unsubscribe := a.wd.Subscribe(256)
	a.goroutines.Add(1)
	go func() {
		defer a.goroutines.Done()
		defer unsubscribe()
		timer := time.NewTimer(time.Hour)
		timer.Stop()
		defer timer.Stop()
		var pending []watchdog.Update
		for {
			select {
			case <-ctx.Done():
				return
			case u, ok := <-ch:
				if !ok {
					return
				}
				if len(pending) == 0 {
					timer.Reset(redrawEvery)
				}
				pending = append(pending, u)
			case <-timer.C:
				batch := pending
				pending = nil
				a.do(ctx, func() { apply(batch) })
			}
		}
	}()
}

// background runs work off the UI goroutine and gives its result to done on
// the UI goroutine, unless ctx ended first (the window closed).
func background[T any](a *Admin, ctx context.Context, work func(context.Context) (T, error), done func(T, error)) {
	a.goroutines.Add(1)
	go func() {
		defer a.goroutines.Done()
		v, err := work(ctx)
		a.do(ctx, func() { done(v, err) })
	}()
}

// do runs fn on the UI goroutine unless ctx has ended (the window that
// asked is gone).
func (a *Admin) do(ctx context.Context, fn func()) {
	fyne.Do(func() {
		if ctx.Err() == nil {
			fn()
		}
	})
}
