package pcm

import (
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// fakeClock is a Clock the test moves by hand.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	tickers []*fakeTicker
}

type fakeTicker struct {
	c       chan time.Time
	every   time.Duration
	next    time.Time
	stopped bool
}

func newFakeClock(now time.Time) *fakeClock { return &fakeClock{now: now} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) NewTicker(d time.Duration) (<-chan time.Time, func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTicker{c: make(chan time.Time, 1), every: d, next: c.now.Add(d)}
	c.tickers = append(c.tickers, t)
	return t.c, func() {
		c.mu.Lock()
		t.stopped = true
		c.mu.Unlock()
	}
}

// Advance moves the clock on by d and ticks every ticker that came due, at
// most once each (as time.Ticker drops ticks a slow reader missed).
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	for _, t := range c.tickers {
		if t.stopped || c.now.Before(t.next) {
			continue
		}
		for !c.now.Before(t.next) {
			t.next = t.next.Add(t.every)
		}
		select {
		case t.c <- c.now:
		default:
		}
	}
}

// uiQueue stands in for the UI goroutine: background work queues closures
// with do, and the test goroutine runs them in drain, so every widget is
// touched on the test goroutine as the real driver does on its main one.
type uiQueue struct {
	mu  sync.Mutex
	fns []func()
}

func (q *uiQueue) do(f func()) {
	q.mu.Lock()
	q.fns = append(q.fns, f)
	q.mu.Unlock()
}

func (q *uiQueue) drain() {
	for {
		q.mu.Lock()
		fns := q.fns
		q.fns = nil
		q.mu.Unlock()
		if len(fns) == 0 {
			return
		}
		for _, f := range fns {
			f()
		}
	}
}

// trayApp is the test app with a system tray, so the tray code runs; it
// records what the window sets and sends.
type trayApp struct {
	fyne.App
	mu            sync.Mutex
	menu          *fyne.Menu
	icon          fyne.Resource
	trayWin       fyne.Window
	notifications []*fyne.Notification
}

func (a *trayApp) SetSystemTrayMenu(m *fyne.Menu)    { a.menu = m }
func (a *trayApp) SetSystemTrayIcon(r fyne.Resource) { a.icon = r }
func (a *trayApp) SetSystemTrayWindow(w fyne.Window) { a.trayWin = w }
func (a *trayApp) SendNotification(n *fyne.Notification) {
	a.mu.Lock()
	a.notifications = append(a.notifications, n)
	a.mu.Unlock()
}

func (a *trayApp) sent() []*fyne.Notification {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]*fyne.Notification(nil), a.notifications...)
}

// harness runs a PCM on the test driver with a fake clock.
type harness struct {
	t     *testing.T
	app   *trayApp
	clock *fakeClock
	q     *uiQueue
	p     *PCM
	m     *mainWindow
}

func newHarness(t *testing.T, eng Engine, cfg Config, clock *fakeClock) *harness {
	t.Helper()
	a := &trayApp{App: test.NewTempApp(t)}
	cfg.Clock = clock
	h := &harness{t: t, app: a, clock: clock, q: &uiQueue{}}
	h.p = New(a, eng, cfg)
	h.p.do = h.q.do
	h.m = h.p.main
	t.Cleanup(func() {
		done := make(chan struct{})
		go func() { h.p.Close(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("goroutines of the window still running 30s after Close")
		}
		h.q.drain()
	})
	return h
}

// until runs the UI queue until cond holds, failing the test after a while.
func (h *harness) until(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		h.q.drain()
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting for %s; banner %q, step %q, status %q", what, h.m.bannerText.Text, h.m.step.Text, h.m.status.Text)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// cell returns the text of a table cell as the table draws it.
func cell(tb *widget.Table, row, col int) string {
	l := &widget.Label{}
	tb.UpdateCell(widget.TableCellID{Row: row, Col: col}, l)
	return l.Text
}

func rows(tb *widget.Table) int {
	r, _ := tb.Length()
	return r
}

func bannerShown(m *mainWindow) bool { return m.banner.Visible() && m.bannerText.Text != "" }

// tap taps a button, failing when it is disabled, as a user could not.
func tap(t *testing.T, b *widget.Button) {
	t.Helper()
	if b.Disabled() {
		t.Fatalf("button %q is disabled", b.Text)
	}
	test.Tap(b)
}

func cellID(row, col int) widget.TableCellID { return widget.TableCellID{Row: row, Col: col} }

// overlayText is the text of every label in the window's top overlay (an
// open dialog).
func overlayText(w fyne.Window) string {
	top := w.Canvas().Overlays().Top()
	if top == nil {
		return ""
	}
	var b strings.Builder
	for _, o := range test.LaidOutObjects(top) {
		switch l := o.(type) {
		case *widget.Label:
			b.WriteString(l.Text + "\n")
		case *widget.RichText:
			b.WriteString(l.String() + "\n")
		}
	}
	return b.String()
}

// stateColumn is the offers table's State column.
const stateColumn = 6
