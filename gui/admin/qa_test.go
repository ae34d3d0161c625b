package admin

import (
	"context"
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"opensms/core/model"
	"opensms/core/watchdog"
)

// TestEventsMessageStaysReadableInANarrowWindow lays the Events window out as
// wide as a tiled third of the screen: the message column keeps half the
// row, and selecting an event shows its whole text under the list.
func TestEventsMessageStaysReadableInANarrowWindow(t *testing.T) {
	a, st := newTestAdmin(t)
	long := "pushing archive 20dbce403b5e of package S0100001 to server S02/distbad: wrong user name or password: check the server's domain, user and password"
	_, err := st.AppendEvent(context.Background(), model.Event{Severity: model.SevError, Job: "S0100002", Server: "S02/distbad", Message: long})
	must(t, err)
	a.locked(a.events.reload)
	waitFor(t, a, "the event", func() bool { return len(a.events.events) >= 1 })
	for _, width := range []float32{400, 600, 1200} {
		a.locked(func() {
			row := a.events.cols.row()
			labels := row.labels
			row.box.Resize(fyne.NewSize(width, 40))
			msg := labels[4]
			if got := msg.Size().Width; got < width*0.45 {
				t.Errorf("at %.0f wide the message column is %.0f wide, want at least half", width, got)
			}
			for i, l := range labels[:4] {
				if l.Visible() && l.Size().Width < 30 {
					t.Errorf("at %.0f wide column %d is shown %.0f wide: its text would spill over", width, i, l.Size().Width)
				}
			}
			if w := labels[0].Size().Width; width >= 400 && w < 90 {
				t.Errorf("at %.0f wide the time column shrank to %.0f", width, w)
			}
		})
	}
	a.locked(func() {
		if a.events.detail.Text != eventNone {
			t.Errorf("with nothing selected the detail says %q", a.events.detail.Text)
		}
		i := -1
		for n, e := range a.events.events {
			if e.Message == long {
				i = n
			}
		}
		if i < 0 {
			t.Fatal("the long event is not listed")
		}
		a.events.list.Select(i)
		if !strings.Contains(a.events.detail.Text, long) || !strings.Contains(a.events.detail.Text, "S02/distbad") {
			t.Errorf("the selected event shows %q, want its whole message and server", a.events.detail.Text)
		}
		// A new event arrives on top: the same event stays selected.
		a.events.apply([]watchdog.Update{{Kind: watchdog.UpdateEvent, Event: &model.Event{Severity: model.SevInfo, Message: "newer"}}})
		if !strings.Contains(a.events.detail.Text, long) {
			t.Errorf("after a new event the detail shows %q", a.events.detail.Text)
		}
		if a.events.events[a.events.selected].Message != long {
			t.Errorf("after a new event the selection moved to %q", a.events.events[a.events.selected].Message)
		}
		// The stream brings an event a reload has read already (Run cycle
		// reloads as its events stream in): it is listed once.
		n, listed := len(a.events.events), a.events.events[i+1]
		a.events.apply([]watchdog.Update{{Kind: watchdog.UpdateEvent, Event: &listed}})
		if len(a.events.events) != n {
			t.Errorf("an event the list held came again and is listed twice (%d events, were %d)", len(a.events.events), n)
		}
	})
}

// overlayText returns every label's text in the window's top overlay (an
// open dialog), or "" when there is none.
func overlayText(a *Admin) string {
	var b strings.Builder
	for _, l := range all[*widget.Label](a.win.Canvas().Overlays().Top()) {
		b.WriteString(l.Text + "\n")
	}
	return b.String()
}

// TestKeysAndToolbarActOnTheWindowTheUserWorksIn selects a package while
// another inner window is on top (as after the start, when Events is), then
// uses Delete, F5 and Ctrl+N as a desktop user would.
func TestKeysAndToolbarActOnTheWindowTheUserWorksIn(t *testing.T) {
	a, st := newTestAdmin(t)
	ctx := context.Background()
	c := model.CommandLine{Name: "Install", Command: "sh install.sh", Platforms: []model.Platform{"linux/amd64"}, Automated: true}
	c.ApplyDefaults()
	p, err := st.CreatePackage(ctx, model.Package{Name: "Hello", Version: "1.0", Source: t.TempDir(), Commands: []model.CommandLine{c}})
	must(t, err)
	a.locked(a.packages.reload)
	waitFor(t, a, "the package", func() bool { return len(a.packages.pkgs) == 1 })

	a.locked(func() {
		a.show(titleEvents) // on top, as after the start
		a.packages.list.Select(0)
		if got := a.active(); got == nil || got.title != titlePackages {
			t.Fatalf("after selecting a package the active window is %v, want Packages", got)
		}
		// The tapped list has the focus: Delete reaches it, not the canvas.
		a.packages.list.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDelete})
	})
	// The question comes once the jobs that used the package are read.
	waitFor(t, a, "the confirmation", func() bool { return a.win.Canvas().Overlays().Top() != nil })
	a.locked(func() {
		if txt := overlayText(a); !strings.Contains(txt, "Delete package "+p.ID) {
			t.Errorf("Delete on a selected package shows %q, want the confirmation", txt)
		}
		a.win.Canvas().Overlays().Top().Hide()
	})

	// F5 with nothing focused reads the store again.
	_, err = st.CreatePackage(ctx, model.Package{Name: "Second", Version: "1.0", Source: t.TempDir(), Commands: []model.CommandLine{c}})
	must(t, err)
	a.locked(func() {
		a.win.Canvas().Unfocus()
		h := a.win.Canvas().OnTypedKey()
		if h == nil {
			t.Fatal("the window has no key handler: F5 does nothing")
		}
		h(&fyne.KeyEvent{Name: fyne.KeyF5})
	})
	waitFor(t, a, "F5 to show the second package", func() bool { return len(a.packages.pkgs) == 2 })

	// Ctrl+N over the Events window makes a package.
	a.locked(func() {
		a.show(titleEvents)
		a.win.Canvas().(fyne.Shortcutable).TypedShortcut(shortcutNew)
		if dialogNamed(a, "New Package") == nil {
			t.Error("Ctrl+N over the Events window opened no Package Properties")
		}
	})
}

// TestJobDetailsStatusFitsALongError opens a retrying job whose server
// refused the login: the whole sentence shows, wrapped, and the dialog does
// not grow past the window.
func TestJobDetailsStatusFitsALongError(t *testing.T) {
	a, st := newTestAdmin(t)
	ctx := context.Background()
	c := model.CommandLine{Name: "Install", Command: "sh install.sh", Platforms: []model.Platform{"linux/amd64"}, Automated: true}
	c.ApplyDefaults()
	p, err := st.CreatePackage(ctx, model.Package{Name: "Hello", Version: "1.0", Source: t.TempDir(), Commands: []model.CommandLine{c}})
	must(t, err)
	long := `pushing archive 20dbce403b5e of package ` + p.ID + ` to server S01/dist1 (\\127.0.0.1:34619\DIST1): logging on to \\127.0.0.1:34619\DIST1 as opensms: wrong user name or password: access denied (response error: The attempted logon is invalid. This is either due to a bad username or authentication information.): check the server's domain, user and password`
	j := model.Job{ID: "S0100009", Type: model.JobRun, Package: p.ID, Run: model.RunPhase{Command: "Install"}, Target: model.Target{Kind: model.TargetComputer, Name: "PC001"}}
	j.Status.State = model.JobRetrying
	j.Status.LastError = long
	j.Status.Servers = map[string]model.ServerStatus{"S01/dist1": {State: model.PhaseRetrying, Attempts: 2, LastError: long}}
	a.locked(func() {
		newJobDetails(a, j, p, false).show()
		jd := mustDialog(t, a, "Job Details — "+j.ID)
		tabs := tabsIn(t, jd)
		tabs.SelectIndex(2)
		overall := fieldOf[*widget.Label](t, jd, "Overall")
		if !strings.Contains(overall.Text, "check the server's domain, user and password") || overall.Wrapping != fyne.TextWrapWord {
			t.Errorf("overall %q (wrapping %v) does not show the whole error wrapped", overall.Text, overall.Wrapping)
		}
		whole := false
		for _, l := range all[*widget.Label](jd) {
			if l.Text == long && l.Wrapping == fyne.TextWrapWord {
				whole = true
			}
		}
		if !whole {
			t.Error("the server's error is not shown whole and wrapped")
		}
		if w := tabs.MinSize().Width; w > 1000 {
			t.Errorf("the Status tab asks for %.0f px: the dialog would not fit the window", w)
		}
	})
}

// TestStatusBarShowsACutMessageWhole: a failed cycle's sentence ran past the
// bar's end ("…server unreachable: di…"); tapping it shows all of it.
func TestStatusBarShowsACutMessageWhole(t *testing.T) {
	a, _ := newTestAdmin(t)
	long := `site S01: opening its share \\127.0.0.1:34619\SITE: gave up after 6 attempts: connecting to \\127.0.0.1:34619\SITE: server unreachable: dial tcp 127.0.0.1:34619: connect: connection refused`
	a.locked(func() {
		a.status.apply([]watchdog.Update{{Kind: watchdog.UpdateCycle, Cycle: &watchdog.Cycle{Err: long}}})
		test.Tap(a.status.message)
		if dialogNamed(a, "Watchdog") == nil {
			t.Fatal("tapping the status message showed nothing")
		}
		if txt := overlayText(a); !strings.Contains(txt, "connection refused") {
			t.Errorf("the dialog shows %q, want the whole message", txt)
		}
	})
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{{time.Minute, "1m"}, {55 * time.Second, "55s"}, {90 * time.Second, "1m30s"}, {0, "0s"}} {
		if got := untilText(tc.d); got != tc.want {
			t.Errorf("untilText(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

// TestEventPropertiesOpensItsJob: File → Properties (Alt+Enter) on an event
// did nothing; it opens the event's job.
func TestEventPropertiesOpensItsJob(t *testing.T) {
	a, st := newTestAdmin(t)
	ctx := context.Background()
	p, _ := storedPackage(t, a, st)
	j := storedJob(t, st, p)
	_, err := st.AppendEvent(ctx, model.Event{Severity: model.SevWarning, Job: j.ID, Message: "job " + j.ID + " is retrying"})
	must(t, err)
	a.locked(a.events.reload)
	waitFor(t, a, "the event", func() bool {
		for _, e := range a.events.events {
			if e.Job == j.ID {
				return true
			}
		}
		return false
	})
	a.locked(func() {
		for i, e := range a.events.events {
			if e.Job == j.ID {
				a.events.list.Select(i)
			}
		}
		a.win.Canvas().(fyne.Shortcutable).TypedShortcut(shortcutProps)
	})
	waitFor(t, a, "Job Details of the event's job", func() bool { return dialogNamed(a, "Job Details — "+j.ID) != nil })
}

// TestPackagePropertiesRefusesAMissingSourceFolder: a mistyped local
// source was accepted and surfaced only when a job sent the package; the
// API refuses it, and the window shows its sentence on OK.
func TestPackagePropertiesRefusesAMissingSourceFolder(t *testing.T) {
	a, st := newTestAdmin(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "setup.sh")
	must(t, os.WriteFile(file, nil, 0o644))
	for i, tc := range []struct{ src, want string }{
		{filepath.Join(dir, "missing"), "source folder " + filepath.Join(dir, "missing") + " does not exist"},
		{file, "source " + file + " is a file, not a folder"},
		{dir, ""},
		// A share is connected to at once, in Workstations: see
		// TestWorkstationsSourceOnAShare.
	} {
		var pp fyne.CanvasObject
		a.locked(func() {
			var ws fyne.CanvasObject
			pp, ws = newPackageWith(t, a, fmt.Sprintf("Hello%d", i), tc.src)
			cd := newCommandLine(t, a, ws, "Install", "sh install.sh")
			test.Tap(checkIn(t, cd, "linux/amd64"))
			test.Tap(buttonIn(t, cd, "OK"))
			test.Tap(buttonIn(t, ws, "OK"))
			test.Tap(buttonIn(t, pp, "OK"))
		})
		if tc.want != "" {
			waitFor(t, a, "the refusal of "+tc.src, func() bool { return shownError(pp) == tc.want })
			a.locked(func() { test.Tap(buttonIn(t, pp, "Cancel")) })
			continue
		}
		waitFor(t, a, "the package of "+tc.src, func() bool {
			return dialogNamed(a, "New Package") == nil || shownError(pp) != ""
		})
		a.locked(func() {
			if got := shownError(pp); got != "" {
				t.Errorf("source %q refused: %s", tc.src, got)
			}
		})
	}
	if ps, _ := st.ListPackages(context.Background()); len(ps) != 1 {
		t.Errorf("%d packages stored, want the 1 with a good source", len(ps))
	}
}

// TestTheActiveInnerWindowShows: File → New, Properties and Delete act on
// the active inner window, but tiled windows do not overlap and nothing
// showed which one that was. The active one carries a coloured line under
// its title bar, and only it: after a selection in a list, after Fyne
// raises a window whose title bar was tapped, and after the active one is
// minimised.
func TestTheActiveInnerWindowShows(t *testing.T) {
	a, st := newTestAdmin(t)
	storedPackage(t, a, st)
	marked := func() []string {
		var ts []string
		for _, w := range a.open {
			if w.accent.FillColor != color.Transparent {
				ts = append(ts, w.title)
			}
		}
		return ts
	}
	a.locked(func() {
		want := a.active().title
		if got := marked(); len(got) != 1 || got[0] != want {
			t.Errorf("at the start %v are marked active, want %s", got, want)
		}
		a.packages.list.Select(0)
		if got := marked(); len(got) != 1 || got[0] != titlePackages {
			t.Errorf("after selecting a package %v are marked active, want Packages", got)
		}
		jobs := a.find(titleJobs)
		jobs.iw.OnTappedBar() // Fyne's own raise
		a.markActive()        // as the status bar's clock does
		if got := marked(); len(got) != 1 || got[0] != titleJobs || a.active() != jobs {
			t.Errorf("after tapping the Jobs title bar %v are marked active", got)
		}
		jobs.iw.OnMinimized()
		if got := marked(); len(got) != 1 || got[0] == titleJobs {
			t.Errorf("after minimising Jobs %v are marked active", got)
		}
	})
}
