package admin

import (
	"math"
	"slices"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
)

// Preference keys: what the Administrator keeps across restarts, in the
// app's Fyne preferences (cmd/smsadmin runs under the app ID
// org.opensms.admin, so they live in that app's preferences file). Each key
// starts with what it belongs to: "layout." the windows, "sites.tree." the
// Sites tree, and "columns.<list>" a list's column widths (columns.go).
const (
	// prefMainSize is the main window's content width and height
	// (FloatList). Its presence says a layout was saved at all.
	prefMainSize = "layout.main.size"
	// prefOpenWindows lists the titles of the inner windows that were
	// shown, the bottom one first (StringList).
	prefOpenWindows = "layout.open"
	// prefInnerWindow + title is that inner window's x, y, width, height
	// and 1 if it was maximised (FloatList); maximised, the position and
	// size are the ones it goes back to.
	prefInnerWindow = "layout.window."
	// prefSitesOpen lists the node IDs of the Sites tree's open branches
	// (StringList).
	prefSitesOpen = "sites.tree.open"
)

// Sizes a saved layout is held to: smaller is taken as damaged.
const (
	minMainWidth, minMainHeight   = 640, 480
	minInnerWidth, minInnerHeight = 160, 100
)

// geometry is where an inner window was and how big.
type geometry struct {
	pos   fyne.Position
	size  fyne.Size
	maxed bool
}

// savedLayout is the layout read from the preferences.
type savedLayout struct {
	ok      bool // a layout was saved
	main    fyne.Size
	open    []string
	windows map[string]geometry
}

// readLayout reads the saved layout, dropping what no longer makes sense:
// titles of windows this version does not have, sizes that are not numbers
// or are too small to use.
func (a *Admin) readLayout() savedLayout {
	p := a.app.Preferences()
	l := savedLayout{main: fyne.NewSize(1280, 800), windows: map[string]geometry{}}
	size := p.FloatList(prefMainSize)
	if len(size) != 2 {
		return l
	}
	l.ok = true
	if sane(size...) && size[0] >= minMainWidth && size[1] >= minMainHeight {
		l.main = fyne.NewSize(float32(size[0]), float32(size[1]))
	}
	// An empty list reads back as none: the main size says it was saved.
	for _, t := range p.StringList(prefOpenWindows) {
		if slices.Contains(windowOrder, t) && !slices.Contains(l.open, t) {
			l.open = append(l.open, t)
		}
	}
	for _, t := range windowOrder {
		g := p.FloatList(prefInnerWindow + t)
		if len(g) != 5 || !sane(g...) || g[2] < minInnerWidth || g[3] < minInnerHeight {
			continue
		}
		l.windows[t] = geometry{
			pos:   fyne.NewPos(float32(g[0]), float32(g[1])),
			size:  fyne.NewSize(float32(g[2]), float32(g[3])),
			maxed: g[4] == 1,
		}
	}
	return l
}

// sane: every value is a number a screen could hold.
func sane(vs ...float64) bool {
	for _, v := range vs {
		if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > 1e5 {
			return false
		}
	}
	return true
}

// saveLayout writes the main window's size and which inner windows are
// shown, where and how big, in their stacking order.
func (a *Admin) saveLayout() {
	p := a.app.Preferences()
	size := a.win.Canvas().Size()
	p.SetFloatList(prefMainSize, []float64{float64(size.Width), float64(size.Height)})
	open := []string{}
	for _, iw := range a.mdi.Windows {
		w := a.inner(iw)
		if w == nil || !iw.Visible() {
			continue
		}
		open = append(open, w.title)
		pos, size, maxed := iw.Position(), iw.Size(), 0.0
		if w.maxed {
			pos, size, maxed = w.restorePos, w.restoreSize, 1
		}
		p.SetFloatList(prefInnerWindow+w.title, []float64{float64(pos.X), float64(pos.Y), float64(size.Width), float64(size.Height), maxed})
	}
	p.SetStringList(prefOpenWindows, open)
}

// inner returns the open inner window iw belongs to.
func (a *Admin) inner(iw fyne.CanvasObject) *innerWindow {
	for _, w := range a.open {
		if w.iw == iw {
			return w
		}
	}
	return nil
}

// openWindows opens the inner windows: as saved, or all of them (to be
// tiled) the first time. It returns the main window's size and whether a
// layout was restored.
func (a *Admin) openWindows() (fyne.Size, bool) {
	l := a.readLayout()
	if !l.ok {
		for _, t := range windowOrder {
			a.show(t)
		}
		return l.main, false
	}
	for _, t := range l.open {
		a.show(t)
		g, ok := l.windows[t]
		if !ok {
			continue
		}
		w := a.find(t)
		w.iw.Move(g.pos)
		w.iw.Resize(g.size)
		if g.maxed {
			// fit fills the area with it once the area has its size.
			w.maxed, w.restorePos, w.restoreSize = true, g.pos, g.size
			w.iw.SetMaximized(true)
		}
	}
	return l.main, true
}

// fit keeps every inner window inside an area of the given size: a layout
// saved on a bigger screen is moved in and shrunk to fit, and a maximised
// window fills the area.
func (a *Admin) fit(area fyne.Size) {
	for _, w := range a.open {
		if w.maxed {
			w.iw.Move(fyne.NewPos(0, 0))
			w.iw.Resize(area)
			continue
		}
		pos, size := w.iw.Position(), w.iw.Size()
		size = fyne.NewSize(min(size.Width, area.Width), min(size.Height, area.Height))
		pos = fyne.NewPos(clamp(pos.X, 0, area.Width-size.Width), clamp(pos.Y, 0, area.Height-size.Height))
		w.iw.Move(pos)
		w.iw.Resize(size)
	}
	a.mdi.Refresh()
}

func clamp(v, lo, hi float32) float32 {
	return max(lo, min(v, hi))
}

// restoreOpen opens the Sites tree's branches that were open when it last
// closed, those of sites that still exist; the first time, the root sites.
func (w *sitesWindow) restoreOpen() {
	saved := w.adm.app.Preferences().StringListWithFallback(prefSitesOpen, nil)
	if len(saved) == 0 {
		for _, code := range w.data.subs[""] {
			w.tree.OpenBranch(nodeID(nodeSite, code))
		}
		return
	}
	for _, uid := range saved {
		if w.mayExist(uid) {
			w.tree.OpenBranch(uid)
		}
	}
}

// saveOpen keeps the open branches, once the tree has shown what it read:
// a window closed before its first load keeps what was saved before.
func (w *sitesWindow) saveOpen() {
	select {
	case <-w.loaded:
	default:
		return
	}
	open := []string{}
	for uid := range w.expanded {
		if w.mayExist(uid) {
			open = append(open, uid)
		}
	}
	slices.Sort(open)
	if len(open) == 0 {
		// Fyne reads an empty list back from its file as no list at all,
		// which would open the root sites again: "" says none is open.
		open = []string{""}
	}
	w.adm.app.Preferences().SetStringList(prefSitesOpen, open)
}

// mayExist: the branch belongs to a site that exists, and a page of
// computers is within the computers read (those not read yet may have it).
func (w *sitesWindow) mayExist(uid string) bool {
	kind, key := splitNode(uid)
	switch kind {
	case nodeSite, nodeComps, nodeGroups, nodeServers:
		_, ok := w.data.sites[key]
		return ok
	case nodePage:
		site, n, _ := strings.Cut(key, ":")
		if _, ok := w.data.sites[site]; !ok {
			return false
		}
		i, err := strconv.Atoi(n)
		if err != nil || i < 0 {
			return false
		}
		cs, read := w.comps[site] // all of them: the filter is not kept
		return !read || i*computerPage < len(cs)
	}
	return false
}
