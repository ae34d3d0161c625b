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

// liveView is a view that follows the Watch stream until its ctx ends.
type liveView struct {
	ctx   context.Context
	apply func([]adminapi.Change)
}

// follow hands the Administrator's changes to apply on the UI goroutine, in
// batches, until ctx ends (its window or dialog closed). It is called on the
// UI goroutine, as a view opens.
func (a *Admin) follow(ctx context.Context, apply func([]adminapi.Change)) {
	a.views = append(a.views, liveView{ctx: ctx, apply: apply})
}

// watch reads the API's Watch stream for the Administrator's life, one
// stream however many views follow it (attached to a site service, one
// connection), and hands what arrived to the views at most once per
// redrawEvery. The goroutine it starts ends with the Administrator or the
// stream; a stream that ends by itself is opened again on reconnecting.
func (a *Admin) watch() {
	ch, err := a.api.Watch(a.ctx)
	if err != nil {
		a.status.setMessage(sentence("live updates are off: " + err.Error()))
		return
	}
	a.run(func() {
		timer := time.NewTimer(time.Hour)
		timer.Stop()
		defer timer.Stop()
		var pending []adminapi.Change
		for {
			select {
			case <-a.ctx.Done():
				return
			case u, ok := <-ch:
				if !ok {
					// Only a site service's stream ends while the window
					// is open: the service went away. Reconnecting opens
					// the stream again for every view.
					batch := pending
					a.do(a.ctx, func() {
						a.dispatch(batch)
						a.streamLost(a.watch)
					})
					return
				}
				if len(pending) == 0 {
					timer.Reset(redrawEvery)
				}
				pending = append(pending, u)
			case <-timer.C:
				batch := pending
				pending = nil
				a.do(a.ctx, func() { a.dispatch(batch) })
			}
		}
	})
}

// dispatch gives a batch to the views still open and forgets the others.
func (a *Admin) dispatch(batch []adminapi.Change) {
	open := make([]liveView, 0, len(a.views))
	for _, v := range a.views {
		if v.ctx.Err() == nil {
			open = append(open, v)
		}
	}
	a.views = open
	if len(batch) == 0 {
		return
	}
	for _, v := range open {
		if v.ctx.Err() == nil { // an earlier view's apply may have closed it
			v.apply(batch)
		}
	}
}

// background runs work off the UI goroutine and gives its result to done on
// the UI goroutine, unless ctx ended first (the window closed).
func background[T any](a *Admin, ctx context.Context, work func(context.Context) (T, error), done func(T, error)) {
	a.run(func() {
		v, err := work(ctx)
		a.do(ctx, func() { done(v, err) })
	})
}

// run starts fn on a goroutine of the Administrator's, which Close waits
// for, unless Close has begun: work that would start after it (a late
// reload, a view opening as the window goes) is dropped, as its result
// would be.
func (a *Admin) run(fn func()) {
	a.goMu.Lock()
	defer a.goMu.Unlock()
	if a.closing {
		return
	}
	a.goroutines.Add(1)
	go func() {
		defer a.goroutines.Done()
		fn()
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

// latest tells a reload's result from an older one's: two reloads in flight
// may finish in either order, and the older must not put back what it read.
// Only the UI goroutine uses it.
type latest struct{ n uint64 }

// next starts a reload; the function it returns says whether that reload is
// still the newest.
func (l *latest) next() func() bool {
	l.n++
	n := l.n
	return func() bool { return n == l.n }
}
