package admin

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"opensms/core/model"
)

// longPackage stores a package whose name, version and source are longer
// than the Packages window's first guess at their columns.
func longPackage(t *testing.T, a *Admin, st model.Store) model.Package {
	t.Helper()
	src := filepath.Join(t.TempDir(), "office-suite-professional-plus", "volume-licence")
	must(t, os.MkdirAll(src, 0o755))
	c := model.CommandLine{Name: "Install quietly", Command: "sh setup.sh --quiet", Platforms: []model.Platform{"linux/amd64"}, Automated: true}
	c.ApplyDefaults()
	p, err := st.CreatePackage(context.Background(), model.Package{Name: "Microsoft Office Professional Plus", Version: "2021.16.0.14332", Source: src, Commands: []model.CommandLine{c}})
	must(t, err)
	a.locked(a.packages.reload)
	waitFor(t, a, "the package in the Packages window", func() bool {
		r := packageRowOf(a, p.ID)
		return r != nil && r.cells.labels[1].Text == p.Name
	})
	return p
}

// packageRowOf returns the Packages window's row that shows package id, or
// nil.
func packageRowOf(a *Admin, id string) *packageRow {
	for _, r := range a.packages.rows {
		if r.pkg.ID == id {
			return r
		}
	}
	return nil
}

// shownWhole reports whether a label shows all of its text: Fyne's label
// cuts what is wider than itself less its inner padding.
func shownWhole(l *widget.Label) bool {
	return l.Size().Width+0.5 >= fyne.MeasureText(l.Text, theme.TextSize(), l.TextStyle).Width+2*theme.InnerPadding()
}

// headerTitles returns the visible bold labels of a list's header.
func headerTitles(c *columns, o fyne.CanvasObject) []*widget.Label {
	var ls []*widget.Label
	for _, l := range all[*widget.Label](o) {
		if l.TextStyle.Bold {
			for _, t := range c.titles {
				if l.Text == t {
					ls = append(ls, l)
				}
			}
		}
	}
	return ls
}

// TestListTitlesAreWholeAtTheDefaultSize: "Versi…" and "Severi…" were cut
// in the tiled windows of a 1280×800 Administrator. Every title a list
// shows is whole, the lists show at least these many, and a column the
// window has no room for drops out whole.
func TestListTitlesAreWholeAtTheDefaultSize(t *testing.T) {
	a, st := newTestAdmin(t)
	p := longPackage(t, a, st)
	storedJob(t, st, p)
	a.locked(func() {
		a.jobs.reload()
		a.events.reload()
	})
	waitFor(t, a, "the job", func() bool { return len(a.jobs.jobs) == 1 })
	a.locked(func() {
		for _, tc := range []struct {
			title string
			cols  *columns
			least int
		}{
			{titlePackages, a.packages.cols, 5},
			{titleJobs, a.jobs.cols, 4},
			{titleGroups, a.groups.cols, 3},
			{titleEvents, a.events.cols, 3},
		} {
			iw := a.find(tc.title).iw
			shown := headerTitles(tc.cols, iw)
			if len(shown) < tc.least {
				t.Errorf("%s is %.0f wide and shows %d titles, want at least %d", tc.title, iw.Size().Width, len(shown), tc.least)
			}
			for _, l := range shown {
				if !shownWhole(l) {
					t.Errorf("%s shows its title %q %.0f wide, too narrow for it", tc.title, l.Text, l.Size().Width)
				}
				if end := a.abs(l).X + l.Size().Width; end > a.abs(iw).X+iw.Size().Width {
					t.Errorf("%s draws its title %q past its edge", tc.title, l.Text)
				}
			}
		}
	})
}

// TestColumnsFitTheirContentAndShareExtraRoom: once the packages arrive the
// columns are as wide as their longest text; a wide window shows every
// cell whole and shares its room among all the columns (maximising widened
// only the last one).
func TestColumnsFitTheirContentAndShareExtraRoom(t *testing.T) {
	a, st := newTestAdmin(t)
	p := longPackage(t, a, st)
	a.locked(func() {
		c := a.packages.cols
		for i, s := range packageCells(p) {
			if want := min(textWidth(s, fyne.TextStyle{}), fitCap); c.want[i] < want {
				t.Errorf("column %s is %.0f wide after the data arrived, want %.0f for %q", c.titles[i], c.want[i], want, s)
			}
		}
		iw := a.find(titlePackages).iw
		iw.Resize(fyne.NewSize(1240, 500))
		row := packageRowOf(a, p.ID)
		for i, l := range row.cells.labels {
			if !shownWhole(l) && c.want[i] < fitCap {
				t.Errorf("at 1240 wide the %s cell %q is cut to %.0f", c.titles[i], l.Text, l.Size().Width)
			}
		}
		// Every column is wider than its content: the room is shared.
		for i, w := range c.widthsAt(row.Size().Width) {
			if w <= c.want[i] {
				t.Errorf("at %.0f wide column %s is %.0f, no wider than its content's %.0f", row.Size().Width, c.titles[i], w, c.want[i])
			}
		}
	})
}

// TestDraggingASeparatorResizesTheColumn drags the separator right of the
// Name title: the column widens in the header and in the rows alike, the
// width is kept as a preference for the next window, and a double-click on
// the separator fits the columns to the content again.
func TestDraggingASeparatorResizesTheColumn(t *testing.T) {
	a, st := newTestAdmin(t)
	p := longPackage(t, a, st)
	a.locked(func() {
		c := a.packages.cols
		iw := a.find(titlePackages).iw
		iw.Resize(fyne.NewSize(1000, 400))
		row := packageRowOf(a, p.ID)
		titles := headerTitles(c, iw)
		if len(titles) != 5 {
			t.Fatalf("the Packages header shows %d titles, want 5", len(titles))
		}
		nameBefore, rowBefore := titles[1].Size().Width, row.cells.labels[1].Size().Width
		grips := all[*columnGrip](iw)
		if len(grips) != 4 {
			t.Fatalf("the Packages header has %d separators to drag, want 4", len(grips))
		}
		at := a.abs(grips[1]).Add(fyne.NewPos(handleWidth/2, 4))
		test.Drag(a.win.Canvas(), at, 60, 0)
		if got := titles[1].Size().Width - nameBefore; got < 59 || got > 61 {
			t.Errorf("dragging the separator 60 to the right widened the Name title by %.1f", got)
		}
		if got := row.cells.labels[1].Size().Width - rowBefore; got < 59 || got > 61 {
			t.Errorf("dragging the separator 60 to the right widened the Name cells by %.1f", got)
		}
		for i := range titles {
			if h, r := a.abs(titles[i]).X, a.abs(row.cells.labels[i]).X; h != r {
				t.Errorf("column %s starts at %.0f in the header and %.0f in the row", c.titles[i], h, r)
			}
		}
		kept := a.app.Preferences().FloatList("columns.packages")
		if len(kept) != 5 || float32(kept[1]) != c.want[1] {
			t.Errorf("the preference keeps %v, want the widths %v", kept, c.want)
		}
		again := a.listColumns("packages", c.titles...)
		if !again.userSized || again.want[1] != c.want[1] {
			t.Errorf("a new Packages window starts with %v, want the dragged %v", again.want, c.want)
		}

		test.DoubleTap(grips[1])
		if c.userSized || !equalWidths(c.want, c.fitted) {
			t.Errorf("after a double-click on a separator the widths are %v, want the content's %v", c.want, c.fitted)
		}
		if kept := a.app.Preferences().FloatList("columns.packages"); len(kept) != 0 {
			t.Errorf("after a double-click the preference still keeps %v", kept)
		}
		if got := titles[1].Size().Width; got < nameBefore-0.5 || got > nameBefore+0.5 {
			t.Errorf("after a double-click the Name title is %.0f wide, want %.0f as before the drag", got, nameBefore)
		}
	})
}

// TestDraggedWidthsStayWhenTheDataChanges: new content no longer resizes
// columns the user sized.
func TestDraggedWidthsStayWhenTheDataChanges(t *testing.T) {
	c := newColumns("ID", "Name", "Version")
	c.width = 600
	c.fit(1, func(int) []string { return []string{"S0100001", "Hello", "1.0"} })
	c.drag(0, 30)
	before := append([]float32(nil), c.want...)
	c.fit(1, func(int) []string { return []string{"S0100001", "A much longer package name than before", "1.0"} })
	if !equalWidths(c.want, before) {
		t.Errorf("new data moved the dragged widths from %v to %v", before, c.want)
	}
	if c.fitted[1] <= before[1] {
		t.Errorf("the content's width %.0f was not measured", c.fitted[1])
	}
}

// TestNarrowRowsDropColumnsWhole lays one list's columns out from wide to
// narrower than its titles: no column is ever narrower than its title, the
// columns shown fill the row, and those that do not fit drop out from the
// right.
func TestNarrowRowsDropColumnsWhole(t *testing.T) {
	c := newColumns("Job", "State", "Package", "Target", "Start after", "Priority", "Progress")
	c.fit(1, func(int) []string {
		return []string{"S0100002", "Active", "S0100001", "Machine group Accounting Department Workstations", "2026-11-30 10:41", "Medium", "1 of 5 succeeded, 4 not applicable"}
	})
	prev := len(c.titles)
	for _, total := range []float32{1400, 900, 600, 400, 250, 60} {
		ws := c.widthsAt(total)
		var sum float32
		shown := 0
		for i, w := range ws {
			sum += w
			if w == 0 {
				for _, later := range ws[i:] {
					if later != 0 {
						t.Errorf("at %.0f wide column %s dropped out but a column right of it stayed: %v", total, c.titles[i], ws)
						break
					}
				}
				continue
			}
			shown++
			if w+0.5 < c.floor[i] {
				t.Errorf("at %.0f wide column %s is %.0f, narrower than its title's %.0f", total, c.titles[i], w, c.floor[i])
			}
		}
		if shown > 1 && (sum < total-0.5 || sum > total+0.5) {
			t.Errorf("at %.0f wide the columns shown add up to %.0f", total, sum)
		}
		if shown > prev {
			t.Errorf("at %.0f wide %d columns are shown, more than the %d of a wider row", total, shown, prev)
		}
		if shown == 0 {
			t.Errorf("at %.0f wide no column is shown", total)
		}
		prev = shown
	}
}

// TestHoverShowsACutCellWhole: with the pointer on a cell its column cuts
// short, the status bar shows the cell's whole text; off it, the message
// it covered comes back. A cell shown whole shows nothing more.
func TestHoverShowsACutCellWhole(t *testing.T) {
	a, st := newTestAdmin(t)
	p := longPackage(t, a, st)
	a.locked(func() {
		a.status.setMessage("Package saved.")
		iw := a.find(titlePackages).iw
		iw.Resize(fyne.NewSize(600, 300))
		row := packageRowOf(a, p.ID)
		src := row.cells.labels[3]
		if !src.Visible() || shownWhole(src) {
			t.Fatalf("at 600 wide the Source cell shows %.0f of %q: the test needs it cut", src.Size().Width, src.Text)
		}
		test.MoveMouse(a.win.Canvas(), a.abs(src).Add(fyne.NewPos(10, 5)))
		if got, want := a.status.message.Text, "Source: "+p.Source; got != want {
			t.Errorf("hovering the cut Source cell shows %q in the status bar, want %q", got, want)
		}
		id := row.cells.labels[0]
		if !shownWhole(id) {
			t.Fatalf("the ID cell %q is cut: %.1f wide, want %v; widths %v at %v, row %v", id.Text, id.Size().Width, textWidth(id.Text, id.TextStyle), a.packages.cols.widthsAt(row.Size().Width), a.packages.cols.want, row.Size())
		}
		test.MoveMouse(a.win.Canvas(), a.abs(id).Add(fyne.NewPos(10, 5)))
		if got := a.status.message.Text; got != "Package saved." {
			t.Errorf("hovering a whole cell shows %q in the status bar, want the message back", got)
		}
		// The list reuses the row under the still pointer for a package
		// whose source fits: the status bar no longer shows the old one.
		test.MoveMouse(a.win.Canvas(), a.abs(src).Add(fyne.NewPos(10, 5)))
		row.update(row.id, model.Package{ID: "S0100009", Name: "Short", Source: "/s"})
		if got := a.status.message.Text; got != "Package saved." {
			t.Errorf("after the row under the pointer changed to a short source the status bar shows %q", got)
		}
		row.update(row.id, p)
		if got, want := a.status.message.Text, "Source: "+p.Source; got != want {
			t.Errorf("after the row under the pointer changed back the status bar shows %q, want %q", got, want)
		}
		test.MoveMouse(a.win.Canvas(), fyne.NewPos(1, 1))
		if got := a.status.message.Text; got != "Package saved." {
			t.Errorf("with the pointer off the list the status bar shows %q, want the message back", got)
		}
		if strings.HasPrefix(a.status.message.Text, "Source:") {
			t.Error("the hint stayed")
		}
	})
}

// TestHoverShowsACutTreeNameWhole: a Sites window too narrow for a
// server's name and share shows it whole in the status bar under the
// pointer.
func TestHoverShowsACutTreeNameWhole(t *testing.T) {
	a, _ := newTestAdmin(t)
	waitFor(t, a, "the Sites tree", func() bool { return len(a.sites.data.sites) == 1 })
	uid := nodeID(nodeServer, "S01/dist1")
	a.locked(func() {
		a.status.setMessage("Package saved.")
		a.find(titleSites).iw.Resize(fyne.NewSize(220, 400))
		a.sites.tree.OpenBranch(nodeID(nodeServers, "S01"))
	})
	var row *siteRow
	waitFor(t, a, "the server's row", func() bool {
		for _, r := range a.sites.rows {
			if _, ok := a.sites.shown(r); ok && r.uid == uid {
				row = r
			}
		}
		return row != nil
	})
	a.locked(func() {
		if shownWhole(row.label) {
			t.Fatalf("at 220 wide the tree shows %q whole: the test needs it cut", row.label.Text)
		}
		test.MoveMouse(a.win.Canvas(), a.abs(row.label).Add(fyne.NewPos(20, 5)))
		if got := a.status.message.Text; got != row.label.Text || !strings.Contains(got, "dist1") {
			t.Errorf("hovering the cut server shows %q in the status bar, want %q", got, row.label.Text)
		}
		test.MoveMouse(a.win.Canvas(), fyne.NewPos(1, 1))
		if got := a.status.message.Text; got != "Package saved." {
			t.Errorf("with the pointer off the tree the status bar shows %q, want the message back", got)
		}
	})
}
