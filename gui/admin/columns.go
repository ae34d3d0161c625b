package admin

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Column widths, in Fyne units.
const (
	// fitCap is the widest a column grows to fit its content: a long path
	// or message must not push every other column out of the window. The
	// full text is one hover away (the status bar) or in a details pane.
	fitCap = 320
	// dragMin is the narrowest a user can drag a column.
	dragMin = 24
	// fitRows is how many rows are measured to fit the columns: enough to
	// see the widest texts of a long list without measuring all of it.
	fitRows = 200
	// handleWidth is how wide the grip on a header separator is.
	handleWidth = 10
	// fitRunes is how much of a text is measured: past fitCap it makes no
	// difference, and a group's members joined can be 10,000 names long.
	fitRunes = 120
	// readable is the width a column keeps in a narrow row before columns
	// right of it drop out: more columns, each cut to a few letters, told
	// less than fewer shown whole ("S0100…" in every column of Jobs).
	readable = 96
)

// columns is the width state of one list: its header and every row share
// it, so that a separator dragged in the header moves that column in every
// row. Widths start from the header titles, fit the content each time the
// data changes, and once the user drags a separator they are the user's
// (kept as a preference under the list's name). Extra room is shared among
// all columns in proportion to their widths; in too little room they shrink
// down to their titles' width, and what still does not fit is cut at the
// window's edge.
type columns struct {
	titles []string
	// want is each column's width in a row exactly as wide as their sum.
	want []float32
	// fitted is each column's width to show its title and content whole
	// (capped at fitCap).
	fitted []float32
	// floor is the width a column keeps when room is short: its title's.
	floor []float32
	// extra is room a column's cells need beside their text (a swatch).
	extra []float32
	// userSized is set once the user dragged a separator: the content no
	// longer changes the widths.
	userSized bool

	// lastShare, when set, is the part of the width (0 to 1) the last column
	// keeps at least: the other columns shrink in proportion to make room,
	// so that a long text column stays readable in a narrow window.
	lastShare float32
	// giveWay lists the columns that shrink to nothing first, in order,
	// when room is short (their text is shown elsewhere).
	giveWay []int

	// hidden holds the objects this layout hid for want of room (rows share
	// one layout), so that it shows again only those.
	hidden map[fyne.CanvasObject]bool
	// boxes are the header's and the rows' containers, laid out again when
	// the widths change.
	boxes []*fyne.Container
	// width is the header's last laid-out width, which a drag works in.
	width float32

	// prefs and prefKey keep the user's widths; prefs is nil in lists that
	// do not keep them.
	prefs   fyne.Preferences
	prefKey string
	// hint shows a cell's whole text while the pointer is on it, and ""
	// when it leaves; nil shows nothing.
	hint func(string)
}

// newColumns makes the width state of a list with these titles, sized to
// the titles until its content arrives.
func newColumns(titles ...string) *columns {
	c := &columns{titles: titles, extra: make([]float32, len(titles))}
	c.floor = make([]float32, len(titles))
	for i, t := range titles {
		c.floor[i] = textWidth(t, fyne.TextStyle{Bold: true})
	}
	c.fitted = append([]float32(nil), c.floor...)
	c.want = append([]float32(nil), c.floor...)
	return c
}

// prefColumns prefixes the preference that keeps a list's widths, one
// number a column: columns.packages, columns.jobs, columns.groups,
// columns.events, columns.jobcomputers (Job Details → Status) and
// columns.commands (Workstations). A list whose titles changed in number
// ignores what was kept.
const prefColumns = "columns."

// listColumns makes the width state of one of the Administrator's lists:
// the user's widths are kept under name, and a cell's whole text shows in
// the status bar while the pointer is on it.
func (a *Admin) listColumns(name string, titles ...string) *columns {
	c := newColumns(titles...)
	c.hint = a.status.hint
	c.prefs, c.prefKey = a.app.Preferences(), prefColumns+name
	if ws := c.prefs.FloatList(c.prefKey); len(ws) == len(titles) {
		for i, w := range ws {
			c.want[i] = max(float32(w), dragMin)
		}
		c.userSized = true
	}
	return c
}

// textWidth is the width a label needs to show s whole in a column: the
// text, the label's inner padding, the gap the layout leaves, and a little
// slack (the real driver's label cut a text exactly as wide as its room).
func textWidth(s string, style fyne.TextStyle) float32 {
	if s == "" {
		return 0
	}
	return fyne.MeasureText(s, theme.TextSize(), style).Width + 2*theme.InnerPadding() + theme.Padding() + textSlack
}

// textSlack is the slack textWidth leaves.
const textSlack = 2

// fit sizes the columns to the titles and to the widest of the first
// fitRows rows' texts, unless the user has sized them. It lays the header
// and rows out again only when a width changed.
func (c *columns) fit(rows int, cells func(row int) []string) {
	c.fitted = append(c.fitted[:0], c.floor...)
	c.fitMore(rows, cells)
}

// fitMore widens the columns for more rows (new events on top of those
// fitted), without measuring those already there again.
func (c *columns) fitMore(rows int, cells func(row int) []string) {
	fitted := c.fitted
	for r := 0; r < min(rows, fitRows); r++ {
		for i, s := range cells(r) {
			// A column at fitCap can grow no more: measuring the rest of a
			// thousand messages cost a third of a second.
			if i < len(fitted) && fitted[i] < fitCap {
				if rs := []rune(s); len(rs) > fitRunes {
					s = string(rs[:fitRunes])
				}
				fitted[i] = max(fitted[i], min(textWidth(s, fyne.TextStyle{})+c.extra[i], fitCap))
			}
		}
	}
	if c.userSized || equalWidths(c.want, fitted) {
		return
	}
	c.want = append(c.want[:0], fitted...)
	c.relayout()
}

func equalWidths(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// widthsAt returns each column's width in a row total wide; a column with
// no room has width 0.
func (c *columns) widthsAt(total float32) []float32 {
	n := len(c.want)
	d := append([]float32(nil), c.want...)
	var sum float32
	for _, w := range d {
		sum += w
	}
	if n == 0 || sum <= 0 {
		return d
	}
	if sum <= total {
		// Share the extra room: maximising widened only the last column.
		for i := range d {
			d[i] *= total / sum
		}
		return d
	}
	if c.lastShare > 0 && n > 1 {
		room := total * (1 - c.lastShare)
		fixed := sum - d[n-1]
		var keep []int
		gone := map[int]bool{}
		for _, i := range c.giveWay {
			if fixed <= room {
				break
			}
			if i >= 0 && i < n-1 {
				fixed -= d[i]
				gone[i] = true
			}
		}
		for i := range n - 1 {
			if !gone[i] {
				keep = append(keep, i)
			}
		}
		ws := c.shrink(keep, room, false)
		fixed = 0
		for i := range d[:n-1] {
			d[i] = ws[i]
			fixed += ws[i]
		}
		d[n-1] = total - fixed
		return d
	}
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	return c.shrink(all, total, true)
}

// shrink fits the columns cols into room. The widest give way first: every
// column wider than some limit is cut to it, so that short columns (an ID,
// a version) stay whole while long texts share what is left; none goes
// below its title (or the narrower width the user dragged it to). When the
// columns cannot each have that and readable width, the columns on the
// right drop out whole rather than show a cut title. With fill, columns
// that fit with room to spare share it. Columns not in cols get width 0.
func (c *columns) shrink(cols []int, room float32, fill bool) []float32 {
	d := make([]float32, len(c.want))
	floor := func(i int) float32 { return min(c.want[i], c.floor[i]) }
	for len(cols) > 1 {
		var need float32
		for _, i := range cols {
			need += max(floor(i), min(c.want[i], readable))
		}
		if need <= room {
			break
		}
		cols = cols[:len(cols)-1]
	}
	var sum, widest float32
	for _, i := range cols {
		sum += c.want[i]
		widest = max(widest, c.want[i])
	}
	if sum <= room {
		k := float32(1)
		if fill && sum > 0 {
			k = room / sum
		}
		for _, i := range cols {
			d[i] = c.want[i] * k
		}
		return d
	}
	// Find the limit: what the columns take grows with it.
	at := func(limit float32) (float32, float32) { // width taken, columns at the limit
		var taken, n float32
		for _, i := range cols {
			w := max(floor(i), min(c.want[i], limit))
			if floor(i) < limit && limit < c.want[i] {
				n++
			}
			taken += w
		}
		return taken, n
	}
	lo, hi := float32(0), widest
	for range 40 {
		mid := (lo + hi) / 2
		if taken, _ := at(mid); taken > room {
			hi = mid
		} else {
			lo = mid
		}
	}
	// Make the limit exact, so that the columns fill the room.
	taken, n := at(lo)
	if n > 0 {
		lo += (room - taken) / n
	}
	for _, i := range cols {
		d[i] = max(floor(i), min(c.want[i], lo))
	}
	return d
}

// at returns the column under x in a row total wide, or -1.
func (c *columns) at(x, total float32) int {
	left := float32(0)
	for i, w := range c.widthsAt(total) {
		if x >= left && x < left+w {
			return i
		}
		left += w
	}
	return -1
}

// Layout lays a header's or a row's objects out left to right.
func (c *columns) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	x := float32(0)
	pad := theme.Padding()
	widths := c.widthsAt(size.Width)
	for i, o := range objs {
		w := float32(0)
		if i < len(widths) {
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

// MinSize asks for little width: the columns shrink and truncate, so that
// an inner window can be made narrow without growing past the window area.
func (c *columns) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var h float32
	for _, o := range objs {
		h = fyne.Max(h, o.MinSize().Height)
	}
	return fyne.NewSize(120, h)
}

// relayout lays the header and every row out again with the new widths.
func (c *columns) relayout() {
	for _, b := range c.boxes {
		b.Refresh()
	}
}

// drag moves the separator right of column i by dx: column i grows or
// shrinks and the columns right of it give or take the difference in
// proportion, so that the row stays as wide as the window and the
// separator follows the pointer.
func (c *columns) drag(i int, dx float32) {
	if i < 0 || i >= len(c.want)-1 || c.width <= 0 {
		return
	}
	d := c.widthsAt(c.width)
	grow := max(d[i]+dx, dragMin) - d[i]
	var spare, room float32 // what the right columns can give, and their width
	for _, w := range d[i+1:] {
		spare += max(w-dragMin, 0)
		room += w
	}
	grow = min(grow, spare)
	if grow == 0 {
		return
	}
	d[i] += grow
	for j := i + 1; j < len(d); j++ {
		if grow > 0 {
			d[j] -= grow * max(d[j]-dragMin, 0) / spare
		} else if room > 0 {
			d[j] -= grow * d[j] / room
		}
	}
	for j, w := range d {
		if w > 0 { // a column hidden for want of room keeps its width
			c.want[j] = w
		}
	}
	c.userSized = true
	c.relayout()
}

// save keeps the user's widths for the next start.
func (c *columns) save() {
	if c.prefs == nil || !c.userSized {
		return
	}
	ws := make([]float64, len(c.want))
	for i, w := range c.want {
		ws[i] = float64(w)
	}
	c.prefs.SetFloatList(c.prefKey, ws)
}

// refit forgets the user's widths and fits the columns to their content
// again (a double-click on a separator, as in Explorer).
func (c *columns) refit() {
	c.userSized = false
	if c.prefs != nil {
		c.prefs.RemoveValue(c.prefKey)
	}
	c.want = append(c.want[:0], c.fitted...)
	c.relayout()
}

// header returns the bold column titles laid out like the rows, with a
// grip on each separator that drags the column's width.
func (c *columns) header() fyne.CanvasObject {
	objs := make([]fyne.CanvasObject, len(c.titles))
	for i, t := range c.titles {
		objs[i] = &widget.Label{Text: t, TextStyle: fyne.TextStyle{Bold: true}, Truncation: fyne.TextTruncateEllipsis}
	}
	titles := container.New(c, objs...)
	grips := make([]fyne.CanvasObject, max(len(c.titles)-1, 0))
	for i := range grips {
		g := &columnGrip{cols: c, col: i}
		g.ExtendBaseWidget(g)
		grips[i] = g
	}
	handles := container.New(&gripLayout{cols: c}, grips...)
	c.boxes = append(c.boxes, titles, handles)
	return container.NewVBox(container.NewStack(titles, handles), widget.NewSeparator())
}

// row returns a new row of truncating cells laid out by c.
func (c *columns) row() *cellRow {
	r := &cellRow{cols: c, labels: make([]*widget.Label, len(c.titles)), bg: &canvas.Rectangle{}}
	objs := make([]fyne.CanvasObject, len(c.titles))
	for i := range r.labels {
		r.labels[i] = &widget.Label{Truncation: fyne.TextTruncateEllipsis}
		objs[i] = r.labels[i]
	}
	r.box = container.New(c, objs...)
	c.boxes = append(c.boxes, r.box)
	r.ExtendBaseWidget(r)
	return r
}

// gripLayout puts each separator's grip where its column ends.
type gripLayout struct{ cols *columns }

func (l *gripLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	l.cols.width = size.Width
	x := float32(0)
	widths := l.cols.widthsAt(size.Width)
	for i, o := range objs {
		if i < len(widths) {
			x += widths[i]
		}
		// A column hidden for want of room, or cut by the edge, has no
		// separator to drag.
		if i >= len(widths) || widths[i] <= 0 || x >= size.Width-handleWidth/2 {
			o.Hide()
			continue
		}
		o.Show()
		o.Move(fyne.NewPos(x-theme.Padding()/2-handleWidth/2, 0))
		o.Resize(fyne.NewSize(handleWidth, size.Height))
	}
}

func (l *gripLayout) MinSize([]fyne.CanvasObject) fyne.Size { return fyne.NewSize(0, 0) }

// columnGrip is the draggable separator right of a column's title.
type columnGrip struct {
	widget.BaseWidget
	cols *columns
	col  int
}

var (
	_ fyne.Draggable      = (*columnGrip)(nil)
	_ fyne.DoubleTappable = (*columnGrip)(nil)
	_ desktop.Cursorable  = (*columnGrip)(nil)
)

func (g *columnGrip) CreateRenderer() fyne.WidgetRenderer {
	line := canvas.NewRectangle(theme.Color(theme.ColorNameSeparator))
	line.SetMinSize(fyne.NewSize(1, 0))
	// A box stretches the line over the header's height.
	return widget.NewSimpleRenderer(container.NewHBox(layout.NewSpacer(), line, layout.NewSpacer()))
}

// Cursor shows that the separator drags sideways.
func (g *columnGrip) Cursor() desktop.Cursor { return desktop.HResizeCursor }

// Dragged moves the separator with the pointer.
func (g *columnGrip) Dragged(ev *fyne.DragEvent) { g.cols.drag(g.col, ev.Dragged.DX) }

// DragEnd keeps the widths the user chose.
func (g *columnGrip) DragEnd() { g.cols.save() }

// DoubleTapped fits the columns to their content again.
func (g *columnGrip) DoubleTapped(*fyne.PointEvent) { g.cols.refit() }

// cellRow is one row of a list: its cells in the list's columns. With the
// pointer on a cell too narrow for its text, the whole text shows in the
// status bar (Fyne 2.7 has no tooltips).
type cellRow struct {
	widget.BaseWidget
	cols   *columns
	labels []*widget.Label
	box    *fyne.Container
	// bg marks the row under the pointer: the list item underneath did,
	// but it no longer sees the pointer once the row does.
	bg *canvas.Rectangle
	// hinted is the text the row put in the status bar; pointer is where
	// the pointer is on the row, and pointed whether it is.
	hinted  string
	pointer fyne.Position
	pointed bool
}

var _ desktop.Hoverable = (*cellRow)(nil)

func (r *cellRow) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(container.NewStack(r.bg, r.box))
}

// setTexts shows one row's texts, one a column.
func (r *cellRow) setTexts(texts []string) {
	for i, l := range r.labels {
		s := ""
		if i < len(texts) {
			s = texts[i]
		}
		l.SetText(s)
	}
	// The list reuses rows: under a still pointer this row may now show
	// another item, whose text the status bar must show instead.
	if r.pointed {
		r.showHint()
	}
}

// truncated returns the whole text of the cell under x when the cell
// shows less than all of it, with its column's title.
func (r *cellRow) truncated(x float32) string {
	i := r.cols.at(x, r.Size().Width)
	if i < 0 || i >= len(r.labels) {
		return ""
	}
	l := r.labels[i]
	if l.Text == "" || (l.Visible() && labelWhole(l)) {
		return ""
	}
	return r.cols.titles[i] + ": " + l.Text
}

// labelWhole reports whether a label is wide enough for all of its text.
func labelWhole(l *widget.Label) bool {
	return textWidth(l.Text, l.TextStyle)-theme.Padding()-textSlack <= l.Size().Width+0.5
}

// MouseIn marks the row and shows the cell's whole text.
func (r *cellRow) MouseIn(ev *desktop.MouseEvent) {
	r.bg.FillColor = theme.Color(theme.ColorNameHover)
	r.bg.Refresh()
	r.MouseMoved(ev)
}

// MouseMoved shows the whole text of the cell under the pointer.
func (r *cellRow) MouseMoved(ev *desktop.MouseEvent) {
	r.pointer, r.pointed = ev.Position, true
	r.showHint()
}

func (r *cellRow) showHint() {
	s := r.truncated(r.pointer.X)
	if s == r.hinted || r.cols.hint == nil {
		return
	}
	r.hinted = s
	r.cols.hint(s)
}

// MouseOut unmarks the row and puts the status bar's message back.
func (r *cellRow) MouseOut() {
	r.pointed = false
	r.bg.FillColor = nil
	r.bg.Refresh()
	if r.hinted != "" && r.cols.hint != nil {
		r.cols.hint("")
	}
	r.hinted = ""
}
