package admin

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// menuItem finds a main-menu item by its label.
func menuItem(t *testing.T, w fyne.Window, label string) *fyne.MenuItem {
	t.Helper()
	for _, m := range w.MainMenu().Items {
		for _, it := range m.Items {
			if it.Label == label {
				return it
			}
		}
	}
	t.Fatalf("no menu item %q", label)
	return nil
}

// Both programs said "dev" whatever the build: Help → About shows the
// version the program was given (the linker's stamp) and where the site
// lives.
func TestAboutShowsTheVersion(t *testing.T) {
	a, _ := newTestAdmin(t)
	a.locked(func() {
		a.SetVersion("v1.2.3-4-gabcdef0")
		menuItem(t, a.win, "About OpenSMS Administrator").Action()
		d := mustDialog(t, a, "About OpenSMS Administrator")
		var text []string
		for _, l := range all[*widget.Label](d) {
			text = append(text, l.Text)
		}
		if got := strings.Join(text, "\n"); !strings.Contains(got, "OpenSMS Administrator, version v1.2.3-4-gabcdef0\nThe watchdog runs in this window") {
			t.Errorf("About says %q", got)
		}
	})
}
