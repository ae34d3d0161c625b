package admin

import (
	"context"
	"time"

	"fyne.io/fyne/v2"

	adminapi "opensms/core/admin"
)

// redrawEvery is how long changes are coalesced before widgets redraw: the
// watchdog may publish hundreds of transfer updates a second.
const redrawEvery = 200 * time.Millisecond

// follow watches the API's stream of changes and hands the ones that
// arrived to apply on the UI goroutine, at most once per redrawEvery, until
// ctx ends. The goroutine it starts ends with ctx or with the stream; a
// stream that ends by itself is re-opened when the Administrator reconnects.
func (a *Admin) follow(ctx context.Context, apply func([]adminapi.Change)) {
	ch, err := a.api.Watch(ctx)
	if err != nil {
		if ctx.Err() == nil {
			a.status.setMessage(sentence("live status is off: " + err.Error()))
		}
		return
	}
	a.goroutines.Add(1)
	go func() {
		defer a.goroutines.Done()
		timer := time.NewTimer(time.Hour)
		timer.Stop()
		defer timer.Stop()
		var pending []adminapi.Change
		for {
			select {
			case <-ctx.Done():
				return
			case u, ok := <-ch:
				if !ok {
					if len(pending) > 0 {
						a.do(ctx, func() { apply(pending) })
					}
					// Only a site service's stream ends while its window
					// is open: the service went away.
					a.do(ctx, func() { a.streamLost(func() { a.follow(ctx, apply) }) })
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
