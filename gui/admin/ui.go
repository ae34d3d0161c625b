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
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"opensms/core/model"
)

// columns lays its objects out left to right with fixed widths; the last
// object takes what is left. Lists and their header rows share one, so that
// the header lines up with the rows.
type columns struct {
	widths []float32
	// lastShare, when set, is the part of the width (0 to 1) the last column
	// keeps at least: the fixed columns shrink in proportion to make room,
	// so that a long text column stays readable in a narrow window.
	lastShare float32
	// giveWay lists the columns that shrink to nothing first, in order,
	// before the others shrink in proportion (their text is shown elsewhere).
	giveWay []int
	// hidden holds the objects this layout hid for want of room (rows share
	// one layout), so that it shows again only those.
	hidden map[fyne.CanvasObject]bool
}

func (c *columns) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	x := float32(0)
	pad := theme.Padding()
	widths := c.widths
	if c.lastShare > 0 {
		widths = append([]float32(nil), c.widths...)
		var fixed float32
		for i := range objs {
			if i < len(widths) && i < len(objs)-1 {
				fixed += widths[i]
			}
		}
		room := size.Width * (1 - c.lastShare)
		for _, i := range c.giveWay {
			if fixed <= room {
				break
			}
			if i < len(widths) {
				fixed -= widths[i]
				widths[i] = 0
			}
		}
		if fixed > room && fixed > 0 {
			for i := range widths {
				widths[i] *= room / fixed
			}
		}
	}
	for i, o := range objs {
		w := size.Width - x
		if i < len(widths) && i < len(objs)-1 {
			w = widths[i]
		}
		if x+w > size.Width {
			w = size.Width - x // the column the window's edge cuts
		}
		if w < 0 {
			w = 0
		}
		// Inner windows do not clip: a label past the edge, or squeezed to
		// nothing, still draws its text over the window beside it. Hide
		// what has no room, and show again only what this layout hid.
		if w <= pad {
			if o.Visible() {
				o.Hide()
				c.setHidden(o, true)
			}
		} else if c.hidden[o] {
			o.Show()
			c.setHidden(o, false)
		}
		h := o.MinSize().Height
		o.Move(fyne.NewPos(x, (size.Height-h)/2))
		o.Resize(fyne.NewSize(w-pad, h))
		x += w
	}
}

func (c *columns) setHidden(o fyne.CanvasObject, hidden bool) {
	if c.hidden == nil {
		c.hidden = map[fyne.CanvasObject]bool{}
	}
	if hidden {
		c.hidden[o] = true
	} else {
		delete(c.hidden, o)
	}
}

// MinSize asks for little width: the columns truncate, so that an inner
// window can be made narrow without growing past the window area.
func (c *columns) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var h float32
	for _, o := range objs {
		h = fyne.Max(h, o.MinSize().Height)
	}
	return fyne.NewSize(120, h)
}

// header returns a bold row of column titles laid out like the rows.
func header(widths []float32, titles ...string) fyne.CanvasObject {
	return headerIn(&columns{widths: widths}, titles...)
}

// headerIn is header with a columns layout of the caller's, shared with its
// rows (see cellsIn).
func headerIn(c *columns, titles ...string) fyne.CanvasObject {
	objs := make([]fyne.CanvasObject, len(titles))
	for i, t := range titles {
		objs[i] = &widget.Label{Text: t, TextStyle: fyne.TextStyle{Bold: true}, Truncation: fyne.TextTruncateEllipsis}
	}
	return container.NewVBox(container.New(c, objs...), widget.NewSeparator())
}

// cells returns n truncating labels laid out in columns.
func cells(widths []float32, n int) (*fyne.Container, []*widget.Label) {
	return cellsIn(&columns{widths: widths}, n)
}

// cellsIn is cells with a columns layout of the caller's.
func cellsIn(c *columns, n int) (*fyne.Container, []*widget.Label) {
	labels := make([]*widget.Label, n)
	objs := make([]fyne.CanvasObject, n)
	for i := range labels {
		labels[i] = &widget.Label{Truncation: fyne.TextTruncateEllipsis}
		objs[i] = labels[i]
	}
	return container.New(c, objs...), labels
}

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

// swatch is a small coloured square.
func swatch() *canvas.Rectangle {
	r := &canvas.Rectangle{CornerRadius: 3}
	r.SetMinSize(fyne.NewSize(12, 12))
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
