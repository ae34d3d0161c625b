package startup

import (
	"errors"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// TestFailWindowSaysWhy: a start that fails (the store in use) used to print
// to standard error only, which nobody sees after a click in a desktop menu.
func TestFailWindowSaysWhy(t *testing.T) {
	for _, tc := range []struct{ err, want string }{
		{"the store at /tmp/x is in use by another OpenSMS process; close the Administrator or use --data", "The store at /tmp/x is in use by another OpenSMS process; close the Administrator or use --data."},
		{"already a sentence.", "Already a sentence."},
	} {
		a := test.NewTempApp(t)
		w := FailWindow(a, "title", errors.New(tc.err))
		w.Show()
		var label *widget.Label
		var button *widget.Button
		var walk func(o fyne.CanvasObject)
		walk = func(o fyne.CanvasObject) {
			switch v := o.(type) {
			case *widget.Label:
				label = v
			case *widget.Button:
				button = v
			case *fyne.Container:
				for _, c := range v.Objects {
					walk(c)
				}
			}
		}
		walk(w.Content())
		if label == nil || label.Text != tc.want || label.Wrapping != fyne.TextWrapWord {
			t.Errorf("window says %+v, want %q wrapped", label, tc.want)
		}
		if button == nil || button.OnTapped == nil {
			t.Error("the window has no working Close button")
		}
		w.Close()
	}
}
