package admin

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"opensms/gui/guitest"
)

// locked runs fn as the UI goroutine would: no background result lands
// meanwhile (see guitest).
func (a *Admin) locked(fn func()) { a.app.(*guitest.App).Locked(fn) }

// all returns the objects of type T shown inside o.
func all[T fyne.CanvasObject](o fyne.CanvasObject) []T {
	var found []T
	guitest.Walk(o, func(c fyne.CanvasObject) {
		if v, ok := c.(T); ok {
			found = append(found, v)
		}
	})
	return found
}

// dialogNamed returns the open dialog with the title (the top-most if there
// are several), or nil. A dialog is an overlay of the window whose bold
// first label is its title.
func dialogNamed(a *Admin, title string) fyne.CanvasObject {
	ovs := a.win.Canvas().Overlays().List()
	for i := len(ovs) - 1; i >= 0; i-- {
		for _, l := range all[*widget.Label](ovs[i]) {
			if l.TextStyle.Bold && l.Text == title {
				return ovs[i]
			}
		}
	}
	return nil
}

// mustDialog is dialogNamed for a dialog that must be open.
func mustDialog(t testing.TB, a *Admin, title string) fyne.CanvasObject {
	t.Helper()
	d := dialogNamed(a, title)
	if d == nil {
		var open []string
		for _, o := range a.win.Canvas().Overlays().List() {
			if ls := all[*widget.Label](o); len(ls) > 0 {
				open = append(open, ls[0].Text)
			}
		}
		t.Fatalf("no %q dialog is open (open: %q)", title, open)
	}
	return d
}

// formField returns the widget of the form item labelled label in d.
func formField(t testing.TB, d fyne.CanvasObject, label string) fyne.CanvasObject {
	t.Helper()
	for _, f := range all[*widget.Form](d) {
		for _, it := range f.Items {
			if it.Text == label {
				return it.Widget
			}
		}
	}
	t.Fatalf("the dialog has no field %q", label)
	return nil
}

// fieldOf returns the widget of type T in the form item labelled label: the
// item's widget itself, or the first T inside it (a folder field holds an
// entry and a Browse… button).
func fieldOf[T fyne.CanvasObject](t testing.TB, d fyne.CanvasObject, label string) T {
	t.Helper()
	f := formField(t, d, label)
	if v, ok := f.(T); ok {
		return v
	}
	if vs := all[T](f); len(vs) > 0 {
		return vs[0]
	}
	var zero T
	t.Fatalf("field %q is a %T, not a %T", label, f, zero)
	return zero
}

// buttonIn returns the button with the text in d.
func buttonIn(t testing.TB, d fyne.CanvasObject, text string) *widget.Button {
	t.Helper()
	for _, b := range all[*widget.Button](d) {
		if b.Text == text {
			return b
		}
	}
	t.Fatalf("the dialog has no %q button", text)
	return nil
}

// checkIn returns the check box with the text in d.
func checkIn(t testing.TB, d fyne.CanvasObject, text string) *widget.Check {
	t.Helper()
	for _, c := range all[*widget.Check](d) {
		if c.Text == text {
			return c
		}
	}
	t.Fatalf("the dialog has no %q check box", text)
	return nil
}

// tabsIn returns the dialog's tabs.
func tabsIn(t testing.TB, d fyne.CanvasObject) *container.AppTabs {
	t.Helper()
	tabs := all[*container.AppTabs](d)
	if len(tabs) == 0 {
		t.Fatal("the dialog has no tabs")
	}
	return tabs[0]
}

// shownError is the sentence a dialog shows for what it refused: the text of
// its red labels.
func shownError(d fyne.CanvasObject) string {
	var s []string
	for _, l := range all[*widget.Label](d) {
		if l.Importance == widget.DangerImportance && l.Text != "" {
			s = append(s, l.Text)
		}
	}
	return strings.Join(s, "\n")
}

// labelText reports whether d shows a label whose text contains s.
func labelText(d fyne.CanvasObject, s string) bool {
	for _, l := range all[*widget.Label](d) {
		if strings.Contains(l.Text, s) {
			return true
		}
	}
	return false
}

// newPackageWith opens New Package, names it and opens its Workstations
// dialog with the source folder typed; it returns both dialogs.
func newPackageWith(t testing.TB, a *Admin, name, source string) (pp, ws fyne.CanvasObject) {
	t.Helper()
	a.packages.onNew()
	pp = mustDialog(t, a, "New Package")
	test.Type(fieldOf[*widget.Entry](t, pp, "Name"), name)
	test.Tap(buttonIn(t, pp, "Workstations…"))
	ws = mustDialog(t, a, "Workstations")
	test.Type(fieldOf[*widget.Entry](t, ws, "Source folder"), source)
	return pp, ws
}

// newCommandLine opens New Command Line from Workstations with the name and
// command typed; the caller ticks platforms and taps OK.
func newCommandLine(t testing.TB, a *Admin, ws fyne.CanvasObject, name, command string) fyne.CanvasObject {
	t.Helper()
	test.Tap(buttonIn(t, ws, "Add…"))
	cd := mustDialog(t, a, "New Command Line")
	test.Type(fieldOf[*widget.Entry](t, cd, "Name"), name)
	test.Type(fieldOf[*widget.Entry](t, cd, "Command"), command)
	return cd
}
