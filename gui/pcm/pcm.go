// Package pcm is the Package Command Manager window: what the person at a
// client computer sees of OpenSMS. It enrols the computer with a site, lists
// the packages offered to it, runs them with a progress bar, counts down
// mandatory ones, keeps a history, and sits in the system tray. Everything it
// does goes through the client engine (core/client); the window presents.
package pcm

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"

	"opensms/core/client"
)

// PCM owns the window, the tray, and every goroutine they start: all of them
// stop when Quit or Close cancels its context.
type PCM struct {
	app    fyne.App
	engine Engine
	cfg    Config
	icon   fyne.Resource

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	// do runs f on the UI goroutine: fyne.Do, or a queue the tests drain.
	do func(f func())

	refreshReq chan struct{} // Refresh asks the service loop to poll now
	serving    bool          // the service loop has started (UI goroutine only)

	main *mainWindow
	tray *tray
}

// New builds the Package Command Manager on a and e. Invalid settings in cfg
// are reported in the window's banner and replaced by the defaults.
func New(a fyne.App, e Engine, cfg Config) *PCM {
	cfg = cfg.Defaults()
	cfgErr := cfg.Validate()
	if cfgErr != nil {
		slog.Warn("using default settings", "err", cfgErr)
		cfg = Config{Computer: cfg.Computer, Clock: cfg.Clock, Icon: cfg.Icon, NoTray: cfg.NoTray, Attached: cfg.Attached, Version: cfg.Version}.Defaults()
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &PCM{
		app: a, engine: e, cfg: cfg, icon: cfg.Icon,
		ctx: ctx, cancel: cancel,
		do:         fyne.Do,
		refreshReq: make(chan struct{}, 1),
	}
	if p.icon == nil {
		p.icon = theme.ComputerIcon()
	}
	p.main = newMainWindow(p)
	p.main.buildUI()
	if cfgErr != nil {
		p.main.showError(sentence("settings", cfgErr))
	}
	if desk, ok := a.(desktop.App); ok && !cfg.NoTray {
		p.tray = newTray(p, desk)
		p.tray.buildUI()
		// Closing the window keeps the tray and the polling; Quit ends both.
		p.main.win.SetCloseIntercept(p.main.win.Hide)
	}
	a.Lifecycle().SetOnStopped(p.cancel)
	return p
}

// Show shows the window: the offers when this computer is enrolled, the
// enrolment form when it is not.
func (p *PCM) Show() {
	p.main.win.Show()
	if en, ok := p.engine.Enrolled(); ok {
		p.main.onEnrolled(en)
		return
	}
	p.main.showNotEnrolled()
}

// ShowAndRun shows the window, runs the app until Quit, then stops every
// goroutine the window started.
func (p *PCM) ShowAndRun() {
	p.Show()
	p.app.Run()
	p.Close()
}

// Quit stops the polling, the countdowns and any run, then ends the app.
func (p *PCM) Quit() {
	p.cancel()
	p.app.Quit()
}

// Close stops every goroutine the window started and waits for them. It is
// safe to call twice; call it off the UI goroutine.
func (p *PCM) Close() {
	p.cancel()
	p.wg.Wait()
}

// goWork runs f off the UI goroutine, owned by p: it sees p's context and
// Close waits for it.
func (p *PCM) goWork(f func(ctx context.Context)) {
	if p.ctx.Err() != nil {
		return
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		f(p.ctx)
	}()
}

// ui hands f to the UI goroutine, unless the window has been shut down.
func (p *PCM) ui(f func()) {
	p.do(func() {
		if p.ctx.Err() == nil {
			f()
		}
	})
}

// startService starts the polling loop once the computer is enrolled.
func (p *PCM) startService() {
	if p.serving {
		return
	}
	p.serving = true
	p.goWork(p.serve)
	if w, ok := p.engine.(Watcher); ok {
		p.goWork(func(ctx context.Context) { p.watch(ctx, w) })
	}
}

// watchRetry is how long the window waits before it watches again after
// the engine's stream ended (the agent restarted).
const watchRetry = 5 * time.Second

// watch shows what the engine reports as it happens: a run that ended
// (one the agent started by itself, or another window's) and changed
// offers reload the offers and the history.
func (p *PCM) watch(ctx context.Context, w Watcher) {
	for ctx.Err() == nil {
		err := w.Watch(ctx, func(ev Event) error {
			if ev.Kind == client.EventFinished || ev.Kind == client.EventOffers {
				p.reload(ctx)
			}
			return nil
		})
		if ctx.Err() != nil {
			return
		}
		slog.Debug("watching the engine stopped; trying again", "err", err)
		retry, stop := p.cfg.Clock.NewTicker(watchRetry)
		select {
		case <-ctx.Done():
		case <-retry:
		}
		stop()
	}
}

// requestRefresh asks the service loop to poll now; a request already
// waiting covers this one.
func (p *PCM) requestRefresh() {
	select {
	case p.refreshReq <- struct{}{}:
	default:
	}
}

// serve is the polling loop: it polls at start, every PollInterval and on
// Refresh, and checks for mandatory offers coming due every DueCheck.
func (p *PCM) serve(ctx context.Context) {
	pollC, stopPoll := p.cfg.Clock.NewTicker(p.cfg.PollInterval)
	defer stopPoll()
	dueC, stopDue := p.cfg.Clock.NewTicker(p.cfg.DueCheck)
	defer stopDue()
	p.pollOnce(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-pollC:
			p.pollOnce(ctx)
		case <-p.refreshReq:
			p.pollOnce(ctx)
		case <-dueC:
			offers := p.engine.Offers()
			p.ui(func() {
				p.main.setOffers(offers)
				p.main.checkDue()
			})
		}
	}
}

// pollOnce reads the instructions and the history and hands both to the
// window. When the poll fails the window keeps the offers it last knew.
func (p *PCM) pollOnce(ctx context.Context) {
	p.ui(func() { p.main.setBusy("Refreshing…") })
	offers, err := p.engine.Poll(ctx)
	if ctx.Err() != nil {
		return
	}
	if err != nil {
		offers = p.engine.Offers()
	}
	hist, herr := p.engine.History(ctx)
	now := p.cfg.Clock.Now()
	p.ui(func() {
		p.main.setBusy("")
		p.main.polled(now, offers, err)
		if herr == nil {
			p.main.setHistory(hist)
		}
	})
}

// reload shows the engine's current offers and history without reading
// the share, after a run or a deferral changed them.
func (p *PCM) reload(ctx context.Context) {
	offers := p.engine.Offers()
	hist, err := p.engine.History(ctx)
	p.ui(func() {
		p.main.setOffers(offers)
		if err == nil {
			p.main.setHistory(hist)
		}
	})
}
