package admin

import (
	"fmt"
	"image/color"
	"sort"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"opensms/core/model"
)

// errorLabel shows the model's sentence under a form.
func errorLabel() *widget.Label {
	return &widget.Label{Importance: widget.DangerImportance, Wrapping: fyne.TextWrapWord}
}

// timeLayout is how dates are typed in Job Details.
const timeLayout = "2006-01-02 15:04"

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Local().Format(timeLayout)
}

// parseTime reads a date typed in timeLayout; empty means none.
func parseTime(field, s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.ParseInLocation(timeLayout, s, time.Local)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q is not a date and time like %s", field, s, time.Now().Format(timeLayout))
	}
	return t, nil
}

func formatCodes(cs []int) string {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = strconv.Itoa(c)
	}
	return strings.Join(s, ", ")
}

// parseCodes reads exit codes separated by commas or spaces.
func parseCodes(field, s string) ([]int, error) {
	var cs []int
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == ';' }) {
		n, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %q is not a whole number", field, f)
		}
		cs = append(cs, n)
	}
	return cs, nil
}

func formatDuration(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return d.String()
}

func parseDuration(field, s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	if n, err := strconv.Atoi(s); err == nil {
		return time.Duration(n) * time.Minute, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%s %q is not a duration such as 30m or 1h30m", field, s)
	}
	return d, nil
}

// stateColor colours a job state as the Jobs window shows it.
func stateColor(s model.JobState) color.Color {
	switch s {
	case model.JobPending:
		return color.NRGBA{R: 0x9e, G: 0x9e, B: 0x9e, A: 0xff}
	case model.JobActive:
		return color.NRGBA{R: 0x21, G: 0x96, B: 0xf3, A: 0xff}
	case model.JobComplete:
		return color.NRGBA{R: 0x43, G: 0xa0, B: 0x47, A: 0xff}
	case model.JobRetrying:
		return color.NRGBA{R: 0xff, G: 0x98, B: 0x00, A: 0xff}
	case model.JobFailed:
		return color.NRGBA{R: 0xe5, G: 0x39, B: 0x35, A: 0xff}
	}
	return color.NRGBA{R: 0x61, G: 0x61, B: 0x61, A: 0xff}
}

// jobColor colours a job as the Jobs window shows it: its state's colour,
// but amber for a finished job some computers failed, so that it does not
// read as clean green.
func jobColor(s model.JobStatus) color.Color {
	if s.State == model.JobComplete && s.HasFailures() {
		return color.NRGBA{R: 0xfb, G: 0xc0, B: 0x2d, A: 0xff}
	}
	return stateColor(s.State)
}

// swatchSize is the side of a swatch.
const swatchSize = 12

// swatch is a small coloured square.
func swatch() *canvas.Rectangle {
	r := &canvas.Rectangle{CornerRadius: 3}
	r.SetMinSize(fyne.NewSize(swatchSize, swatchSize))
	return r
}

func colorRGBA(r, g, b uint32, a uint8) color.Color {
	return color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: a}
}

func sortStrings(s []string) { sort.Strings(s) }

// sentence makes an error text read as a sentence: capital first, full stop.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// clearOnEdit empties the red sentence once the user changes a field under
// root: it spoke of the form as it was at OK, and stayed after the field
// was fixed. Each field keeps its own OnChanged.
func clearOnEdit(errText *widget.Label, root fyne.CanvasObject) {
	clear := func() {
		if errText.Text != "" {
			errText.SetText("")
		}
	}
	var visit func(o fyne.CanvasObject)
	visit = func(o fyne.CanvasObject) {
		switch v := o.(type) {
		case *fyne.Container:
			for _, c := range v.Objects {
				visit(c)
			}
		case *widget.Form:
			for _, it := range v.Items {
				visit(it.Widget)
			}
		case *container.AppTabs:
			for _, it := range v.Items {
				visit(it.Content)
			}
		case *container.Scroll:
			visit(v.Content)
		case *widget.Card:
			visit(v.Content)
		case *widget.Entry:
			prev := v.OnChanged
			v.OnChanged = func(s string) {
				clear()
				if prev != nil {
					prev(s)
				}
			}
		case *widget.Select:
			prev := v.OnChanged
			v.OnChanged = func(s string) {
				clear()
				if prev != nil {
					prev(s)
				}
			}
		case *widget.RadioGroup:
			prev := v.OnChanged
			v.OnChanged = func(s string) {
				clear()
				if prev != nil {
					prev(s)
				}
			}
		case *widget.Check:
			prev := v.OnChanged
			v.OnChanged = func(b bool) {
				clear()
				if prev != nil {
					prev(b)
				}
			}
		}
	}
	visit(root)
}
