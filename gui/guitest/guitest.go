// Package guitest is Fyne's test app for the windows' tests, with fyne.Do
// as strict as the real driver's. Fyne's test driver runs fyne.Do at once on
// the goroutine that calls it, so a background result would land while a
// test reads or drives widgets; the real driver runs it on the one UI
// goroutine. Here fyne.Do (and fyne.DoAndWait) take a lock, and a test
// takes the same lock with Locked while it builds, reads or taps.
package guitest

import (
	"sync"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// App is a test app whose driver runs fyne.Do under its lock.
type App struct {
	fyne.App
	drv *driver
}

type driver struct {
	fyne.Driver
	mu *sync.Mutex
}

// NewApp makes a test app current; Fyne's own clean-up replaces it when the
// test ends. A second app made while one is current shares its lock: Fyne
// keeps one current app and shared caches, so the first app's windows now
// run their fyne.Do through the second's driver; make it under Locked.
func NewApp(t testing.TB) *App {
	mu := &sync.Mutex{}
	if cur, ok := fyne.CurrentApp().(*App); ok {
		mu = cur.drv.mu
	}
	base := test.NewTempApp(t)
	a := &App{App: base, drv: &driver{Driver: base.Driver(), mu: mu}}
	fyne.SetCurrentApp(a)
	return a
}

// Driver returns the locking driver.
func (a *App) Driver() fyne.Driver { return a.drv }

// Locked runs fn as the UI goroutine would: no fyne.Do runs meanwhile.
func (a *App) Locked(fn func()) {
	a.drv.mu.Lock()
	defer a.drv.mu.Unlock()
	fn()
}

// DoFromGoroutine runs fn under the lock.
func (d *driver) DoFromGoroutine(fn func(), _ bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	fn()
}

// Walk visits o and everything drawn under it that is visible, as a person
// would see it: containers' objects and widgets' renderer objects.
func Walk(o fyne.CanvasObject, visit func(fyne.CanvasObject)) {
	if o == nil || !o.Visible() {
		return
	}
	visit(o)
	switch v := o.(type) {
	case *fyne.Container:
		for _, c := range v.Objects {
			Walk(c, visit)
		}
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(v).Objects() {
			Walk(c, visit)
		}
	}
}
