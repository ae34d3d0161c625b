package pcm

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"opensms/gui/guitest"
)

// File → About shows the version the program was given (the linker's
// stamp), and that packages run through the client agent when they do.
func TestAboutShowsTheVersion(t *testing.T) {
	clock := newFakeClock(t0)
	eng := &scriptedEngine{clock: clock, enrolled: &Enrollment{SiteCode: "S01", SiteName: "Head Office", Computer: "PC001"}}
	h := newHarness(t, eng, Config{PollInterval: 5 * time.Minute, Version: "v1.2.3", Attached: "Attached to the client agent (since Nov 30 08:30)"}, clock)
	h.p.Show()
	var about func()
	for _, m := range h.m.win.MainMenu().Items {
		for _, it := range m.Items {
			if it.Label == "About…" {
				about = it.Action
			}
		}
	}
	if about == nil {
		t.Fatal("no File → About…")
	}
	about()
	top := h.m.win.Canvas().Overlays().Top()
	if top == nil {
		t.Fatal("About shows nothing")
	}
	var text []string
	guitest.Walk(top, func(o fyne.CanvasObject) {
		if l, ok := o.(*widget.Label); ok {
			text = append(text, l.Text)
		}
	})
	if got := strings.Join(text, "\n"); !strings.Contains(got, windowTitle+", version v1.2.3\nAttached to the client agent") {
		t.Errorf("About says %q", got)
	}
}
