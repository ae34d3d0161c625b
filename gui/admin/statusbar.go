package admin

import (
	"fmt"
	"sort"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	adminapi "opensms/core/admin"
	"opensms/core/model"
	"opensms/core/watchdog"
)

// statusBar shows when the next watchdog cycle runs, the last message and the
// transfers in flight, each with a progress bar.
type statusBar struct {
	adm *Admin

	where     *widget.Label // attached to the site service, or the watchdog runs here
	next      *widget.Label
	message   *tapLabel
	transfers *fyne.Container

	alive     bool // the watchdog runs (it may be idle between cycles)
	nextCycle time.Time
	running   time.Time                    // when the cycle in progress started; zero when idle
	inFlight  map[string]watchdog.Transfer // job + server
	// notice is set while the message is the user's own ("Package … saved"):
	// a cycle's summary or an info event no longer replaces it, a warning
	// or an error still does.
	notice bool
	// hinting is set while the message shows a list cell's whole text;
	// beneath holds the message it covers.
	hinting bool
	beneath string
	bars    map[string]*transferView
}

type transferView struct {
	box   *fyne.Container
	label *widget.Label
	bar   *widget.ProgressBar
}

func newStatusBar(a *Admin) *statusBar {
	return &statusBar{adm: a, inFlight: map[string]watchdog.Transfer{}, bars: map[string]*transferView{}}
}

func (s *statusBar) buildUI() fyne.CanvasObject {
	s.next = &widget.Label{Text: "Watchdog: not running", TextStyle: fyne.TextStyle{Bold: true}}
	s.message = &tapLabel{onTap: s.showMessage}
	s.message.Truncation = fyne.TextTruncateEllipsis
	s.message.ExtendBaseWidget(s.message)
	s.transfers = container.NewHBox()
	s.where = widget.NewLabel(Where{}.text())
	left := container.NewHBox(s.where, widget.NewSeparator(), s.next)
	return container.NewBorder(widget.NewSeparator(), nil, left, s.transfers, s.message)
}

// start loads the watchdog's state and follows the Watch stream until the
// Administrator closes. A ticker keeps "in N s" current.
func (s *statusBar) start() {
	a := s.adm
	background(a, a.ctx, a.api.Watchdog, func(st adminapi.WatchdogState, err error) {
		if err != nil {
			s.setMessage(sentence("reading the watchdog's state: " + err.Error()))
			return
		}
		s.alive, s.nextCycle = st.Running, st.NextCycle
		for _, t := range st.Transfers {
			s.inFlight[t.Job+"\x00"+t.Server] = t
		}
		s.redraw()
	})
	a.follow(a.ctx, s.apply)
	a.run(func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-a.ctx.Done():
				return
			case <-tick.C:
				a.do(a.ctx, func() {
					s.redrawNext()
					a.markActive()
				})
			}
		}
	})
}

func (s *statusBar) apply(us []adminapi.Change) {
	for _, u := range us {
		switch {
		case u.Kind == watchdog.UpdateTransfer && u.Transfer != nil:
			t := *u.Transfer
			key := t.Job + "\x00" + t.Server
			if t.Done {
				delete(s.inFlight, key)
			} else {
				s.inFlight[key] = t
			}
		case u.Kind == watchdog.UpdateCycle && u.Cycle != nil:
			if !u.Cycle.Next.IsZero() {
				s.alive, s.nextCycle = true, u.Cycle.Next
			}
			s.running = time.Time{}
			if u.Cycle.Duration == 0 && u.Cycle.Err == "" {
				s.running = u.Cycle.Started
			}
			switch {
			case u.Cycle.Err != "":
				s.news("Last cycle: "+u.Cycle.Err, true)
			case u.Cycle.Duration > 0:
				s.news(fmt.Sprintf("Last cycle %s took %s.", u.Cycle.Started.Format("15:04:05"), u.Cycle.Duration.Round(time.Millisecond)), false)
			}
		case u.Kind == watchdog.UpdateEvent && u.Event != nil:
			s.news(u.Event.Message, u.Event.Severity != model.SevInfo)
		}
	}
	s.redraw()
}

// setMessage shows the user's own notice, which routine news does not
// replace.
func (s *statusBar) setMessage(m string) {
	s.hinting = false
	s.message.SetText(m)
	s.notice = true
}

// news shows what the watchdog says, unless it is routine and the user's
// notice is showing.
func (s *statusBar) news(m string, serious bool) {
	if s.notice && !serious {
		return
	}
	s.notice = false
	s.hinting = false
	s.message.SetText(m)
}

// hint shows the whole text of the list cell under the pointer, which its
// column cuts short; "" puts back the message it covered. A message that
// arrives meanwhile replaces the hint.
func (s *statusBar) hint(h string) {
	switch {
	case h != "" && !s.hinting:
		s.beneath, s.hinting = s.message.Text, true
		s.message.SetText(h)
	case h != "":
		s.message.SetText(h)
	case s.hinting:
		s.hinting = false
		s.message.SetText(s.beneath)
	}
}

// showMessage shows the status bar's message whole: a cycle's error is
// longer than the bar and its end says what to do.
func (s *statusBar) showMessage() {
	if s.message.Text == "" {
		return
	}
	l := &widget.Label{Text: s.message.Text, Wrapping: fyne.TextWrapWord}
	d := dialog.NewCustom("Watchdog", "Close", l, s.adm.win)
	d.Resize(fyne.NewSize(560, 200))
	d.Show()
}

// tapLabel is a label that does something when tapped.
type tapLabel struct {
	widget.Label
	onTap func()
}

// Tapped runs onTap.
func (l *tapLabel) Tapped(*fyne.PointEvent) {
	if l.onTap != nil {
		l.onTap()
	}
}

func (s *statusBar) redrawNext() {
	if !s.running.IsZero() {
		s.next.SetText("Watchdog cycle running since " + s.running.Format("15:04:05"))
		return
	}
	if !s.alive {
		s.next.SetText("Watchdog: not running")
		return
	}
	if s.nextCycle.IsZero() {
		s.next.SetText("Watchdog: idle")
		return
	}
	in := time.Until(s.nextCycle).Round(time.Second)
	if in < 0 {
		in = 0
	}
	s.next.SetText(fmt.Sprintf("Next watchdog cycle %s (in %s)", s.nextCycle.Format("15:04:05"), untilText(in)))
}

func (s *statusBar) redraw() {
	s.redrawNext()
	keys := make([]string, 0, len(s.inFlight))
	for k := range s.inFlight {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var objs []fyne.CanvasObject
	for _, k := range keys {
		t := s.inFlight[k]
		v, ok := s.bars[k]
		if !ok {
			v = &transferView{label: &widget.Label{}, bar: &widget.ProgressBar{Max: 1}}
			v.box = container.NewHBox(v.label, container.NewGridWrap(fyne.NewSize(120, v.bar.MinSize().Height), v.bar))
			s.bars[k] = v
		}
		v.label.SetText(fmt.Sprintf("%s → %s", t.Package, t.Server))
		if t.BytesTotal > 0 {
			v.bar.SetValue(float64(t.BytesDone) / float64(t.BytesTotal))
		}
		objs = append(objs, v.box)
	}
	for k := range s.bars {
		if _, ok := s.inFlight[k]; !ok {
			delete(s.bars, k)
		}
	}
	s.transfers.Objects = objs
	s.transfers.Refresh()
}

// untilText says how long until the next cycle the way people say it:
// "1m" rather than Go's "1m0s".
func untilText(d time.Duration) string {
	if d >= time.Minute && d%time.Minute == 0 {
		return fmt.Sprintf("%dm", int(d/time.Minute))
	}
	return d.String()
}
