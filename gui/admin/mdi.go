package admin

import (
	"image/color"
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
)

// controller is what every inner window's controller does for the main
// window's menu and toolbar.
type controller interface {
	buildUI() fyne.CanvasObject
	// reload reads the store again (View → Refresh).
	reload()
	onNew()
	onProperties()
	onDelete()
	// close stops the window's goroutines (its subscription, its loads).
	close()
}

// innerWindow is one open inner window of the multiple-document area.
type innerWindow struct {
	title       string
	iw          *container.InnerWindow
	ctl         controller
	accent      *canvas.Rectangle // coloured while the window is the active one
	maxed       bool
	restorePos  fyne.Position
	restoreSize fyne.Size
}

func (a *Admin) find(title string) *innerWindow {
	for _, w := range a.open {
		if w.title == title {
			return w
		}
	}
	return nil
}

// show opens the inner window with the title, or brings it to the front.
func (a *Admin) show(title string) {
	if w := a.find(title); w != nil {
		w.iw.Show()
		a.raise(w)
		return
	}
	var ctl controller
	switch title {
	case titleSites:
		a.sites = newSitesWindow(a)
		ctl = a.sites
	case titlePackages:
		a.packages = newPackagesWindow(a)
		ctl = a.packages
	case titleJobs:
		a.jobs = newJobsWindow(a)
		ctl = a.jobs
	case titleGroups:
		a.groups = newGroupsWindow(a)
		ctl = a.groups
	case titleEvents:
		a.events = newEventsWindow(a)
		ctl = a.events
	default:
		return
	}
	w := &innerWindow{title: title, ctl: ctl, accent: canvas.NewRectangle(color.Transparent)}
	w.accent.SetMinSize(fyne.NewSize(0, accentHeight))
	w.iw = container.NewInnerWindow(title, container.NewBorder(w.accent, nil, nil, nil, ctl.buildUI()))
	w.iw.CloseIntercept = func() { a.closeWindow(w) }
	w.iw.OnMaximized = func() { a.toggleMaximized(w) }
	w.iw.OnMinimized = func() {
		w.iw.Hide()
		a.markActive()
	}
	n := float32(len(a.open))
	w.iw.Move(fyne.NewPos(24*n, 24*n))
	w.iw.Resize(fyne.NewSize(600, 380))
	a.open = append(a.open, w)
	a.mdi.Add(w.iw)
	a.updateMenu()
	a.markActive()
}

func (a *Admin) raise(w *innerWindow) {
	ws := make([]*container.InnerWindow, 0, len(a.mdi.Windows))
	for _, iw := range a.mdi.Windows {
		if iw != w.iw {
			ws = append(ws, iw)
		}
	}
	a.mdi.Windows = append(ws, w.iw)
	a.mdi.Refresh()
	a.markActive()
}

// accentHeight is the line across the top of the active inner window.
const accentHeight = 3

// markActive colours the accent of the active inner window (the one File →
// New, Properties and Delete act on): tiled windows do not overlap, so
// which one is on top showed nowhere. Fyne raises a window whose title bar
// is tapped without telling, so the status bar's clock calls this too.
func (a *Admin) markActive() {
	act := a.active()
	if act == a.marked {
		return
	}
	a.marked = act
	for _, w := range a.open {
		c := color.Color(color.Transparent)
		if w == act {
			c = theme.Color(theme.ColorNamePrimary)
		}
		w.accent.FillColor = c
		w.accent.Refresh()
	}
}

func (a *Admin) closeWindow(w *innerWindow) {
	w.ctl.close()
	var open []*innerWindow
	for _, o := range a.open {
		if o != w {
			open = append(open, o)
		}
	}
	a.open = open
	var ws []*container.InnerWindow
	for _, iw := range a.mdi.Windows {
		if iw != w.iw {
			ws = append(ws, iw)
		}
	}
	a.mdi.Windows = ws
	a.mdi.Refresh()
	a.markActive()
	switch w.title {
	case titleSites:
		a.sites = nil
	case titlePackages:
		a.packages = nil
	case titleJobs:
		a.jobs = nil
	case titleGroups:
		a.groups = nil
	case titleEvents:
		a.events = nil
	}
	a.updateMenu()
}

// area is the size of the multiple-document area, estimated before the
// first layout.
func (a *Admin) area() fyne.Size {
	if s := a.mdi.Size(); s.Width > 0 && s.Height > 0 {
		return s
	}
	s := a.win.Canvas().Size()
	if s.Width == 0 {
		s = fyne.NewSize(1280, 800)
	}
	return fyne.NewSize(s.Width, s.Height-110)
}

func (a *Admin) toggleMaximized(w *innerWindow) {
	if w.maxed {
		w.iw.Move(w.restorePos)
		w.iw.Resize(w.restoreSize)
	} else {
		w.restorePos, w.restoreSize = w.iw.Position(), w.iw.Size()
		w.iw.Move(fyne.NewPos(0, 0))
		w.iw.Resize(a.area())
	}
	w.maxed = !w.maxed
	w.iw.SetMaximized(w.maxed)
	a.raise(w)
}

func (a *Admin) visible() []*innerWindow {
	var vs []*innerWindow
	for _, w := range a.open {
		if w.iw.Visible() {
			vs = append(vs, w)
		}
	}
	return vs
}

// tile lays the shown inner windows out side by side: Sites and Packages
// share the top row so that a package can be dragged onto a site at once.
func (a *Admin) tile() {
	vs := a.visible()
	if len(vs) == 0 {
		return
	}
	size := a.area()
	top := 2
	if len(vs) < 2 {
		top = len(vs)
	}
	rows := 1
	if len(vs) > top {
		rows = 2
	}
	rowH := size.Height / float32(rows)
	place := func(ws []*innerWindow, y float32) {
		colW := size.Width / float32(len(ws))
		for i, w := range ws {
			w.maxed = false
			w.iw.SetMaximized(false)
			w.iw.Move(fyne.NewPos(colW*float32(i), y))
			w.iw.Resize(fyne.NewSize(colW, rowH))
		}
	}
	place(vs[:top], 0)
	if rows == 2 {
		place(vs[top:], rowH)
	}
	a.mdi.Refresh()
}

// cascade stacks the shown inner windows, each a title bar lower.
func (a *Admin) cascade() {
	vs := a.visible()
	size := a.area()
	step := float32(28)
	w := float32(math.Max(float64(size.Width*0.6), 400))
	h := float32(math.Max(float64(size.Height*0.6), 300))
	for i, iw := range vs {
		iw.maxed = false
		iw.iw.SetMaximized(false)
		iw.iw.Move(fyne.NewPos(step*float32(i), step*float32(i)))
		iw.iw.Resize(fyne.NewSize(w, h))
		a.raise(iw)
	}
}

// tileOnce lays the multiple-document area out like a stack. The first
// time the area is big enough it tiles the inner windows, or fits a restored
// layout into it; after that, each new size keeps the windows inside it (a
// smaller screen, a shrunk main window).
type tileOnce struct {
	a        *Admin
	restored bool
	done     bool
	last     fyne.Size
}

func (t *tileOnce) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
	switch {
	case !t.done && size.Width >= 800 && size.Height >= 500:
		t.done, t.last = true, size
		if t.restored {
			t.a.fit(size)
		} else {
			t.a.tile()
		}
	case t.done && size != t.last:
		t.last = size
		t.a.fit(size)
	}
}

func (t *tileOnce) MinSize(objs []fyne.CanvasObject) fyne.Size {
	return fyne.NewSize(640, 400)
}
