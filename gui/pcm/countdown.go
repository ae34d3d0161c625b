package pcm

import (
	"context"
	"errors"
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// countdownDialog counts down a mandatory offer that came due: Run now runs
// it, Later spends one deferral (the engine moves the offer's due time on,
// and the dialog comes back then), and the end of the countdown runs it.
type countdownDialog struct {
	m     *mainWindow
	offer Offer
	d     *dialog.CustomDialog

	text      *widget.Label
	deferrals *widget.Label
	msg       *widget.Label
	bar       *widget.ProgressBar
	runNow    *widget.Button
	later     *widget.Button

	deadline time.Time
	left     int
	stop     context.CancelFunc // ends the ticker goroutine
	closed   bool
}

func newCountdownDialog(m *mainWindow, o Offer) *countdownDialog {
	return &countdownDialog{m: m, offer: o, left: o.DeferralsLeft}
}

func (c *countdownDialog) buildUI() {
	c.text = &widget.Label{TextStyle: fyne.TextStyle{Bold: true}, Wrapping: fyne.TextWrapWord}
	c.deferrals = &widget.Label{Wrapping: fyne.TextWrapWord}
	c.msg = &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.DangerImportance}
	c.bar = &widget.ProgressBar{Max: 1, TextFormatter: func() string { return "" }}
	c.runNow = &widget.Button{Text: "Run now", Icon: theme.MediaPlayIcon(), Importance: widget.HighImportance, OnTapped: c.onRunNow}
	c.later = &widget.Button{Text: "Later", Icon: theme.HistoryIcon(), OnTapped: c.onLater}
	detail := fmt.Sprintf("%s — %s", offerName(c.offer), c.offer.Command.Name)
	if c.offer.Comment != "" {
		detail += "\n" + c.offer.Comment
	}
	content := container.NewVBox(
		c.text,
		&widget.Label{Text: detail, Wrapping: fyne.TextWrapWord},
		c.bar,
		c.deferrals,
		c.msg,
		container.NewHBox(layout.NewSpacer(), c.later, c.runNow),
	)
	c.d = dialog.NewCustomWithoutButtons("Mandatory package", content, c.m.win)
	c.d.Resize(fyne.NewSize(480, 260))
	c.updateLater()
}

// show opens the dialog, brings the window up, and starts counting.
func (c *countdownDialog) show() {
	c.buildUI()
	clock := c.m.p.cfg.Clock
	c.deadline = clock.Now().Add(c.m.p.cfg.Countdown)
	c.onTick()
	c.m.win.Show()
	c.m.win.RequestFocus()
	c.d.Show()
	c.m.p.app.SendNotification(fyne.NewNotification("Mandatory package", countdownText(offerName(c.offer), c.m.p.cfg.Countdown)))

	ctx, cancel := context.WithCancel(c.m.p.ctx)
	c.stop = cancel
	tick, stopTick := clock.NewTicker(time.Second)
	c.m.p.goWork(func(context.Context) {
		defer stopTick()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick:
				c.m.p.ui(c.onTick)
			}
		}
	})
}

func (c *countdownDialog) onTick() {
	if c.closed {
		return
	}
	left := c.deadline.Sub(c.m.p.cfg.Clock.Now())
	c.text.SetText(countdownText(offerName(c.offer), left))
	c.bar.SetValue(1 - float64(max(left, 0))/float64(c.m.p.cfg.Countdown))
	if left <= 0 {
		c.onRunNow()
	}
}

func (c *countdownDialog) updateLater() {
	c.deferrals.SetText(deferralsText(c.left))
	if c.left > 0 {
		c.later.SetText(fmt.Sprintf("Later (%d left)", c.left))
		c.later.Enable()
	} else {
		c.later.SetText("Later")
		c.later.Disable()
	}
}

// close ends the countdown without running anything.
func (c *countdownDialog) close() {
	if c.closed {
		return
	}
	c.closed = true
	if c.stop != nil {
		c.stop()
	}
	c.d.Hide()
	if c.m.countdown == c {
		c.m.countdown = nil
	}
}

func (c *countdownDialog) onRunNow() {
	if c.closed {
		return
	}
	c.close()
	c.m.startRun(c.offer.Job, true)
}

// onLater spends one deferral through the engine. The dialog stays up and
// counting until the engine agrees, so a failed Defer cannot skip the run.
func (c *countdownDialog) onLater() {
	c.later.Disable()
	job := c.offer.Job
	c.m.p.goWork(func(ctx context.Context) {
		left, err := c.m.p.engine.Defer(ctx, job)
		c.m.p.ui(func() {
			if c.closed {
				return
			}
			if err != nil {
				if errors.Is(err, ErrNoDeferralsLeft) {
					c.left = 0
				}
				c.msg.SetText(sentence("could not postpone", err))
				c.updateLater()
				return
			}
			c.left = left
			c.close()
			c.m.p.goWork(c.m.p.reload)
		})
	})
}
