package admin

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"opensms/core/model"
)

// openPicker taps the calendar button of the date field labelled label and
// returns the picker it opens.
func openPicker(t *testing.T, a *Admin, d fyne.CanvasObject, label string) fyne.CanvasObject {
	t.Helper()
	var pick *widget.Button
	for _, b := range all[*widget.Button](formField(t, d, label)) {
		if b.Icon != nil && b.Icon.Name() == theme.CalendarIcon().Name() {
			pick = b
		}
	}
	if pick == nil {
		t.Fatalf("%s has no calendar button", label)
	}
	test.Tap(pick)
	top := a.win.Canvas().Overlays().Top()
	if _, ok := top.(*widget.PopUp); !ok {
		t.Fatalf("the calendar button of %s opened %T, not a picker", label, top)
	}
	return top
}

// Job Details' dates have a calendar beside them: a day picked at a time of
// day writes the typed field, the time can be moved without picking the day
// again, a typed date still works and a bad one keeps its sentence; OK
// stores what the fields say.
func TestDatePickerSetsTheTypedField(t *testing.T) {
	a, st := newTestAdmin(t)
	p, _ := storedPackage(t, a, st)
	a.locked(func() {
		a.newJob(p, model.Target{Kind: model.TargetSite, Name: "S01"})
		jd := mustDialog(t, a, "Job Details")
		tabsIn(t, jd).SelectIndex(1)
		start := fieldOf[*widget.Entry](t, jd, "Start after")
		was, err := parseTime("start after", start.Text)
		if err != nil || was.IsZero() {
			t.Fatalf("a new job starts after %q: %v", start.Text, err)
		}
		picker := openPicker(t, a, jd, "Start after")
		selects := all[*widget.Select](picker)
		if len(selects) != 2 {
			t.Fatalf("the picker has %d time-of-day choices, want hour and minute", len(selects))
		}
		selects[0].SetSelected("07")
		selects[1].SetSelected("30")
		test.Tap(buttonIn(t, picker, "15"))
		want := time.Date(was.Year(), was.Month(), 15, 7, 30, 0, 0, time.Local)
		if start.Text != want.Format(timeLayout) {
			t.Errorf("picking the 15th at 07:30 typed %q, want %q", start.Text, want.Format(timeLayout))
		}
		if a.win.Canvas().Overlays().Top() == picker {
			t.Error("the picker stays open after a day was picked")
		}

		// The time of day alone: the typed day stays.
		picker = openPicker(t, a, jd, "Start after")
		all[*widget.Select](picker)[0].SetSelected("18")
		if want := time.Date(was.Year(), was.Month(), 15, 18, 30, 0, 0, time.Local).Format(timeLayout); start.Text != want {
			t.Errorf("moving the hour to 18 typed %q, want %q", start.Text, want)
		}
		picker.(*widget.PopUp).Hide()

		// Expires after: a typed date that is no date keeps its sentence;
		// then a typed one is taken as typed.
		tabsIn(t, jd).SelectIndex(0)
		expires := fieldOf[*widget.Entry](t, jd, "Expires after")
		expires.SetText("31/12/2030")
		test.Tap(buttonIn(t, jd, "OK"))
		if got := shownError(jd); !strings.HasPrefix(got, `expires after "31/12/2030" is not a date and time like`) {
			t.Errorf("a bad typed date says %q", got)
		}
		// The picker opens on the next hour when the field cannot be read,
		// and Clear empties the field (never expires).
		picker = openPicker(t, a, jd, "Expires after")
		test.Tap(buttonIn(t, picker, "Clear"))
		if expires.Text != "" {
			t.Errorf("Clear left %q", expires.Text)
		}
		expires.SetText("2030-12-31 23:45")
		test.Tap(buttonIn(t, jd, "OK"))
	})
	waitFor(t, a, "the job stored", func() bool {
		js, err := st.ListJobs(context.Background())
		return err == nil && len(js) == 1
	})
	js, err := st.ListJobs(context.Background())
	must(t, err)
	j := js[0]
	if got := j.Schedule.StartAfter.Local().Format(timeLayout); !strings.HasSuffix(got, "-15 18:30") {
		t.Errorf("the job starts after %s, want the picked 15th at 18:30", got)
	}
	if want := time.Date(2030, 12, 31, 23, 45, 0, 0, time.Local); !j.Run.ExpiresAfter.Equal(want) {
		t.Errorf("the job expires after %s, want the typed %s", j.Run.ExpiresAfter, want)
	}
}

// The date picker ignored Escape. Escape closes it and puts back what the
// field read when it opened (its hour choice had moved it), leaving Job
// Details open; the window gets its keys back.
func TestDatePickerEscapeLeavesTheFieldAsItWas(t *testing.T) {
	a, st := newTestAdmin(t)
	p, _ := storedPackage(t, a, st)
	a.locked(func() {
		before := a.win.Canvas().OnTypedKey()
		a.newJob(p, model.Target{Kind: model.TargetSite, Name: "S01"})
		jd := mustDialog(t, a, "Job Details")
		tabsIn(t, jd).SelectIndex(1)
		start := fieldOf[*widget.Entry](t, jd, "Start after")
		start.SetText("2030-06-01 09:00")
		typed := start.Text
		a.win.Canvas().Focus(start)
		picker := openPicker(t, a, jd, "Start after")
		hour := all[*widget.Select](picker)[0]
		a.win.Canvas().Focus(hour) // as a tap on it does
		hour.SetSelected("18")
		if start.Text == typed {
			t.Fatalf("the hour choice left the field at %q", start.Text)
		}
		keys := a.win.Canvas().OnTypedKey()
		if keys == nil || a.win.Canvas().Focused() != nil {
			t.Fatalf("with the picker open Escape cannot reach it (handler %v, focus %v)", keys != nil, a.win.Canvas().Focused())
		}
		keys(&fyne.KeyEvent{Name: fyne.KeyDown})
		if !picker.Visible() {
			t.Error("a key other than Escape closed the picker")
		}
		keys(&fyne.KeyEvent{Name: fyne.KeyEscape})
		if picker.Visible() || start.Text != typed {
			t.Errorf("after Escape the picker shows %v and the field reads %q, want %q", picker.Visible(), start.Text, typed)
		}
		if mustDialog(t, a, "Job Details") != jd {
			t.Error("Escape in the picker closed Job Details too")
		}
		if (a.win.Canvas().OnTypedKey() == nil) != (before == nil) {
			t.Error("the window's key handler was not given back")
		}
	})
}
