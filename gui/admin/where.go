package admin

import (
	"context"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	adminapi "opensms/core/admin"
)

// Where says whether the window is attached to a site service or runs the
// watchdog itself; cmd/smsadmin decides and says so with SetWhere.
type Where struct {
	// Attached: the API is a site service's, over its socket.
	Attached bool
	// Since is when the site service started (attached only).
	Since time.Time
}

// text is what the status bar says.
func (w Where) text() string {
	if w.Attached {
		return "Attached to the site service (since " + w.Since.Local().Format("2006-01-02 15:04") + ")"
	}
	return "The watchdog runs in this window"
}

// SetWhere shows where the Administrator stands in the status bar.
func (a *Admin) SetWhere(w Where) {
	a.where = w
	a.status.where.SetText(w.text())
}

// streamLost is called on the UI goroutine by a Watch stream that ended
// while its window is open: the site service went away. The first one
// offers to reconnect; resume re-opens that stream once it is back.
func (a *Admin) streamLost(resume func()) {
	a.lost = append(a.lost, resume)
	if len(a.lost) > 1 {
		return // the dialog is already up
	}
	a.status.where.SetText("The site service went away")
	a.status.alive, a.status.nextCycle = false, time.Time{} // unknown until it is back
	clear(a.status.inFlight)
	a.status.redraw()
	a.offerReconnect("The site service stopped answering, so nothing here is live. It may be restarting.")
}

// offerReconnect shows why the connection is lost and a Reconnect button.
func (a *Admin) offerReconnect(why string) {
	msg := widget.NewLabel(why)
	msg.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomConfirm("Site service", "Reconnect", "Close", container.NewPadded(msg), func(again bool) {
		if again {
			a.reconnect()
		}
	}, a.win)
	d.Resize(fyne.NewSize(460, 180))
	d.Show()
}

// reconnect asks the service for its state; when it answers, every lost
// stream is re-opened and the windows reload.
func (a *Admin) reconnect() {
	a.status.setMessage("Reconnecting to the site service…")
	background(a, a.ctx, a.api.Watchdog, func(_ adminapi.WatchdogState, err error) {
		if err != nil {
			a.offerReconnect(sentence("The site service does not answer: " + err.Error()))
			return
		}
		lost := a.lost
		a.lost = nil
		for _, resume := range lost {
			resume()
		}
		// A restarted service has another start time, which only a new
		// attach reads; say when this window reconnected instead.
		a.status.where.SetText("Attached to the site service (reconnected " + time.Now().Format("15:04") + ")")
		a.status.setMessage("Reconnected to the site service.")
		a.onRefresh()
	})
}

// onSiteKey shows the home site's key fingerprint, the text a client
// confirms at enrolment, where it can be selected and copied.
func (a *Admin) onSiteKey() {
	background(a, a.ctx, func(ctx context.Context) (adminapi.SiteKey, error) {
		return a.api.SiteKey(ctx, "")
	}, func(k adminapi.SiteKey, err error) {
		if err != nil {
			a.showError(err)
			return
		}
		fp := widget.NewEntry()
		fp.SetText(k.Fingerprint)
		fp.OnChanged = func(string) { fp.SetText(k.Fingerprint) } // selectable, not editable
		copyBtn := widget.NewButton("Copy", func() {
			a.app.Clipboard().SetContent(k.Fingerprint)
			a.status.setMessage("The fingerprint of site " + k.Site + "'s key is on the clipboard.")
		})
		help := widget.NewLabel("Give this fingerprint to the people enrolling clients: 'smsctl pcm enroll --trust' or the PCM window asks for it.")
		help.Wrapping = fyne.TextWrapWord
		body := container.NewVBox(widget.NewLabel("Site "+k.Site+" signs with the key"), container.NewBorder(nil, nil, nil, copyBtn, fp), help)
		d := dialog.NewCustom("Site key", "Close", body, a.win)
		d.Resize(fyne.NewSize(560, 220))
		d.Show()
	})
}
