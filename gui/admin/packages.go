package admin

import (
	"context"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"opensms/core/model"
)

// packagesWindow lists the packages. Its rows can be dragged onto the Sites
// window to make a job.
type packagesWindow struct {
	adm    *Admin
	ctx    context.Context
	cancel context.CancelFunc
	loads  latest // the newest reload wins

	list     *keyList
	cols     *columns // shared by the header and every row
	empty    *widget.Label
	pkgs     []model.Package
	selected int

	rows []*packageRow

	// dragAt is the pointer's last absolute position during a drag.
	dragAt fyne.Position
}

func newPackagesWindow(a *Admin) *packagesWindow {
	ctx, cancel := context.WithCancel(a.ctx)
	return &packagesWindow{adm: a, ctx: ctx, cancel: cancel, selected: -1}
}

func (w *packagesWindow) buildUI() fyne.CanvasObject {
	w.cols = w.adm.listColumns("packages", "ID", "Name", "Version", "Source", "Command lines")
	w.list = &keyList{onKey: w.adm.typedKey, List: widget.List{
		Length: func() int { return len(w.pkgs) },
		CreateItem: func() fyne.CanvasObject {
			r := newPackageRow(w)
			w.rows = append(w.rows, r)
			return r
		},
		UpdateItem: func(id widget.ListItemID, o fyne.CanvasObject) { o.(*packageRow).update(id, w.pkgs[id]) },
		OnSelected: func(id widget.ListItemID) {
			if w.selected == id {
				return // setPackages putting the selection back: no raise
			}
			w.selected = id
			w.adm.touch(titlePackages)
		},
		OnUnselected: func(id widget.ListItemID) {
			if w.selected == id {
				w.selected = -1
			}
		},
	}}
	w.list.ExtendBaseWidget(w.list)
	w.empty = &widget.Label{Text: "No packages yet: File → New or File → Import Package Definition…", Alignment: fyne.TextAlignCenter, Truncation: fyne.TextTruncateEllipsis}
	w.reload()
	return container.NewBorder(w.cols.header(), nil, nil, nil,
		container.NewStack(w.list, container.NewVBox(layoutSpacer(), w.empty)))
}

func (w *packagesWindow) reload() {
	newest := w.loads.next()
	background(w.adm, w.ctx, func(ctx context.Context) ([]model.Package, error) {
		return w.adm.api.ListPackages(ctx)
	}, func(ps []model.Package, err error) {
		if !newest() {
			return
		}
		if err != nil {
			w.adm.status.setMessage("Reading packages: " + err.Error())
			return
		}
		w.setPackages(ps)
	})
}

func (w *packagesWindow) setPackages(ps []model.Package) {
	var keep string
	if w.selected >= 0 && w.selected < len(w.pkgs) {
		keep = w.pkgs[w.selected].ID
	}
	w.pkgs = ps
	w.list.UnselectAll()
	w.selected = -1
	for i, p := range ps {
		if p.ID == keep {
			// Selected before Select, so that a reload that came by
			// itself (another window, smsctl) does not raise the window.
			w.selected = i
			w.list.Select(i)
		}
	}
	if len(ps) == 0 {
		w.empty.Show()
	} else {
		w.empty.Hide()
	}
	w.cols.fit(len(ps), func(i int) []string { return packageCells(ps[i]) })
	w.list.Refresh()
}

func (w *packagesWindow) close() { w.cancel() }

func (w *packagesWindow) onNew() {
	newPackageProps(w.adm, model.Package{}, nil).show()
}

func (w *packagesWindow) current() (model.Package, bool) {
	if w.selected < 0 || w.selected >= len(w.pkgs) {
		return model.Package{}, false
	}
	return w.pkgs[w.selected], true
}

func (w *packagesWindow) onProperties() {
	if p, ok := w.current(); ok {
		newPackageProps(w.adm, p, nil).show()
	}
}

// onDelete asks before deleting the selected package. The API refuses while
// a job that has not finished uses it (its sentence names the job); the
// finished jobs that used it are named here, since they would stay showing
// "(package not found)", with the choice to delete them too.
func (w *packagesWindow) onDelete() {
	p, ok := w.current()
	if !ok {
		return
	}
	a := w.adm
	background(a, w.ctx, a.api.ListJobs, func(js []model.Job, err error) {
		if err != nil {
			a.showError(err)
			return
		}
		w.confirmDelete(p, model.FinishedJobsOf(js, p.ID))
	})
}

func (w *packagesWindow) confirmDelete(p model.Package, finished []model.Job) {
	a := w.adm
	body := container.NewVBox(widget.NewLabel(fmt.Sprintf("Delete package %s (%s)?", p.ID, p.Title())))
	also := &widget.Check{}
	if n := len(finished); n > 0 {
		ids := make([]string, 0, min(n, 5))
		for _, j := range finished[:min(n, 5)] {
			ids = append(ids, j.ID)
		}
		named := strings.Join(ids, ", ")
		if n > 5 {
			named += fmt.Sprintf(" and %d more", n-5)
		}
		what, they := "Finished job "+named+" used it; it stays", "Delete that job too"
		if n > 1 {
			what, they = "Finished jobs "+named+" used it; they stay", fmt.Sprintf("Delete those %d jobs too", n)
		}
		body.Add(&widget.Label{Text: what + " in the Jobs window without the package's name.", Wrapping: fyne.TextWrapWord})
		also.Text = they
		body.Add(also)
	}
	d := dialog.NewCustomConfirm("Delete package", "Yes", "No", body, func(yes bool) {
		if !yes {
			return
		}
		drop := also.Checked
		background(a, w.ctx, func(ctx context.Context) (struct{}, error) {
			if drop {
				for _, j := range finished {
					if err := a.api.DeleteJob(ctx, j.ID); err != nil {
						return struct{}{}, err
					}
				}
			}
			return struct{}{}, a.api.DeletePackage(ctx, p.ID)
		}, func(_ struct{}, err error) {
			if drop && a.jobs != nil {
				a.jobs.reload()
			}
			if err != nil {
				a.showError(err)
				return
			}
			w.reload()
		})
	}, a.win)
	d.Resize(fyne.NewSize(480, 0))
	d.Show()
}

// onDragged follows a package row being dragged: pos is the pointer's
// absolute position. The Sites window highlights the row under it.
func (w *packagesWindow) onDragged(pos fyne.Position) {
	w.dragAt = pos
	if s := w.adm.sites; s != nil {
		s.highlightAt(pos)
	}
}

// onDragEnd drops package p where the pointer is: on a site, computer or
// machine group of the Sites window it opens Job Details; anywhere else the
// status bar says where it goes (a silent drop read as broken).
func (w *packagesWindow) onDragEnd(p model.Package) {
	s := w.adm.sites
	if s != nil {
		s.highlightAt(fyne.NewPos(-1, -1))
		if t, ok := s.targetAt(w.dragAt); ok {
			w.adm.newJob(p, t)
			return
		}
	}
	w.adm.status.setMessage(fmt.Sprintf("Package %s (%s) was not dropped on a site, computer or machine group of the Sites window; drop it on one there, or use File → New Job….", p.ID, p.Name))
}

// packageRow is one row of the Packages window.
type packageRow struct {
	widget.BaseWidget
	w     *packagesWindow
	id    widget.ListItemID
	pkg   model.Package
	cells *cellRow
}

var (
	_ fyne.Draggable      = (*packageRow)(nil)
	_ fyne.Tappable       = (*packageRow)(nil)
	_ fyne.DoubleTappable = (*packageRow)(nil)
)

func newPackageRow(w *packagesWindow) *packageRow {
	r := &packageRow{w: w, id: -1}
	r.cells = w.cols.row()
	r.ExtendBaseWidget(r)
	return r
}

func (r *packageRow) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(r.cells)
}

func (r *packageRow) update(id widget.ListItemID, p model.Package) {
	r.id, r.pkg = id, p
	r.cells.setTexts(packageCells(p))
}

// packageCells is what a package's row shows, a text a column.
func packageCells(p model.Package) []string {
	names := make([]string, len(p.Commands))
	for i, c := range p.Commands {
		names[i] = c.Name
	}
	return []string{p.ID, p.Name, p.Version, p.Source, strings.Join(names, ", ")}
}

// Tapped selects the row; the list item underneath no longer sees the tap.
func (r *packageRow) Tapped(*fyne.PointEvent) {
	if r.id >= 0 {
		r.w.list.Select(r.id)
	}
}

// DoubleTapped opens Package Properties.
func (r *packageRow) DoubleTapped(*fyne.PointEvent) {
	r.Tapped(nil)
	if r.id >= 0 {
		newPackageProps(r.w.adm, r.pkg, nil).show()
	}
}

// Dragged turns the event's position, which is relative to this row, into
// an absolute one that the Sites window can hit-test.
func (r *packageRow) Dragged(ev *fyne.DragEvent) {
	if r.id < 0 {
		return
	}
	abs := ev.AbsolutePosition
	if abs.IsZero() { // the test driver leaves it unset
		abs = fyne.CurrentApp().Driver().AbsolutePositionForObject(r).Add(ev.Position)
	}
	r.w.onDragged(abs)
}

// DragEnd drops the package.
func (r *packageRow) DragEnd() {
	if r.id < 0 {
		return
	}
	r.w.onDragEnd(r.pkg)
}
