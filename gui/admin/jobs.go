package admin

import (
	"context"
	"fmt"
	"sort"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	adminapi "opensms/core/admin"
	"opensms/core/model"
	"opensms/core/watchdog"
)

// jobsWindow lists the jobs with their coloured state; it follows the
// watchdog, so a state change shows without a refresh.
type jobsWindow struct {
	adm    *Admin
	ctx    context.Context
	cancel context.CancelFunc
	loads  latest // the newest reload wins

	list     *keyList
	cols     *columns // shared by the header and every row
	empty    *widget.Label
	jobs     []model.Job
	titles   map[string]string // package ID → name and version, for the Package column
	rows     []*jobRow
	selected string
}

func newJobsWindow(a *Admin) *jobsWindow {
	ctx, cancel := context.WithCancel(a.ctx)
	return &jobsWindow{adm: a, ctx: ctx, cancel: cancel}
}

func (w *jobsWindow) buildUI() fyne.CanvasObject {
	// Progress follows State: a narrow window drops columns from the
	// right, and a failed job must still show its counts beside its colour.
	w.cols = w.adm.listColumns("jobs", "Job", "State", "Progress", "Package", "Target", "Start after", "Priority")
	w.cols.extra[1] = swatchSize + theme.Padding() // the state's swatch
	w.list = &keyList{onKey: w.adm.typedKey, List: widget.List{
		Length: func() int { return len(w.jobs) },
		CreateItem: func() fyne.CanvasObject {
			r := newJobRow(w)
			w.rows = append(w.rows, r)
			return r
		},
		UpdateItem: func(id widget.ListItemID, o fyne.CanvasObject) { o.(*jobRow).update(id, w.jobs[id]) },
		OnSelected: func(id widget.ListItemID) {
			w.selected = w.jobs[id].ID
			w.adm.touch(titleJobs)
		},
	}}
	w.list.ExtendBaseWidget(w.list)
	w.empty = &widget.Label{Text: "No jobs yet: drag a package onto a site, computer or machine group.", Alignment: fyne.TextAlignCenter, Truncation: fyne.TextTruncateEllipsis}
	bar := container.NewHBox(
		&widget.Button{Text: "Details…", Icon: theme.DocumentIcon(), Importance: widget.LowImportance, OnTapped: w.onProperties},
		&widget.Button{Text: "Cancel job", Icon: theme.CancelIcon(), Importance: widget.LowImportance, OnTapped: w.onCancelJob},
		&widget.Button{Text: "Delete", Icon: theme.DeleteIcon(), Importance: widget.LowImportance, OnTapped: w.onDelete},
	)
	w.reload()
	w.adm.follow(w.ctx, w.apply)
	top := container.NewVBox(bar, w.cols.header())
	return container.NewBorder(top, nil, nil, nil, container.NewStack(w.list, container.NewVBox(layoutSpacer(), w.empty)))
}

func (w *jobsWindow) close() { w.cancel() }

// jobsAndPackages is one reload: the jobs, and the packages whose names
// the Package column shows.
type jobsAndPackages struct {
	jobs []model.Job
	pkgs []model.Package
}

func (w *jobsWindow) reload() {
	newest := w.loads.next()
	background(w.adm, w.ctx, func(ctx context.Context) (jobsAndPackages, error) {
		js, err := w.adm.api.ListJobs(ctx)
		if err != nil {
			return jobsAndPackages{}, err
		}
		ps, err := w.adm.api.ListPackages(ctx)
		if err != nil {
			return jobsAndPackages{}, fmt.Errorf("the jobs' packages: %w", err)
		}
		return jobsAndPackages{js, ps}, nil
	}, func(r jobsAndPackages, err error) {
		if !newest() {
			return
		}
		if err != nil {
			w.adm.status.setMessage("Reading jobs: " + err.Error())
			return
		}
		w.titles = make(map[string]string, len(r.pkgs))
		for _, p := range r.pkgs {
			w.titles[p.ID] = p.Title()
		}
		w.setJobs(r.jobs)
	})
}

func (w *jobsWindow) setJobs(js []model.Job) {
	// Newest first, as an administrator looks for the job just made.
	sort.SliceStable(js, func(i, k int) bool { return js[i].ID > js[k].ID })
	w.jobs = js
	w.list.UnselectAll()
	for i, j := range js {
		if j.ID == w.selected {
			w.list.Select(i)
		}
	}
	if len(js) == 0 {
		w.empty.Show()
	} else {
		w.empty.Hide()
	}
	w.fit()
	w.list.Refresh()
}

// fit sizes the columns to the jobs' texts.
func (w *jobsWindow) fit() {
	w.cols.fit(len(w.jobs), func(i int) []string { return jobCells(w.jobs[i], w.titles) })
}

// apply takes job changes from the Watch stream into the list. A job the
// list does not show is read again rather than taken from the stream: the
// stream batches and may be late, so its change can be for a job deleted
// since the last reload, which must not come back.
func (w *jobsWindow) apply(us []adminapi.Change) {
	changed, unknown := false, false
	for _, u := range us {
		// A renamed or new package changes the Package column's text.
		unknown = unknown || u.Kind == watchdog.UpdatePackage
		if u.Kind != watchdog.UpdateJob || u.Job == nil {
			continue
		}
		found := false
		for i := range w.jobs {
			if w.jobs[i].ID == u.Job.ID {
				w.jobs[i] = *u.Job
				found = true
			}
		}
		unknown = unknown || !found
		changed = true
	}
	if unknown {
		w.reload()
	} else if changed {
		w.fit()
		w.list.Refresh()
	}
}

func (w *jobsWindow) current() (model.Job, bool) {
	for _, j := range w.jobs {
		if j.ID == w.selected {
			return j, true
		}
	}
	return model.Job{}, false
}

// onNew is File → New over the Jobs window: New Job… (it only said to drag
// a package).
func (w *jobsWindow) onNew() { w.adm.onNewJob() }

func (w *jobsWindow) onProperties() {
	if j, ok := w.current(); ok {
		w.adm.openJob(j)
	}
}

func (w *jobsWindow) onCancelJob() {
	j, ok := w.current()
	if !ok || j.Status.State.Final() {
		return
	}
	dialog.ShowConfirm("Cancel job", fmt.Sprintf("Cancel job %s? Computers that have not run it yet will not run it.", j.ID), func(yes bool) {
		if !yes {
			return
		}
		a := w.adm
		background(a, w.ctx, func(ctx context.Context) (struct{}, error) {
			return struct{}{}, a.api.CancelJob(ctx, j.ID)
		}, func(_ struct{}, err error) {
			if err != nil {
				a.showError(err)
				return
			}
			w.reload()
		})
	}, w.adm.win)
}

// onDelete removes a job; the API says which jobs may go (one that has not
// started, or has finished).
func (w *jobsWindow) onDelete() {
	j, ok := w.current()
	if !ok {
		return
	}
	dialog.ShowConfirm("Delete job", fmt.Sprintf("Delete job %s (%s)?", j.ID, j.Status.State), func(yes bool) {
		if !yes {
			return
		}
		a := w.adm
		background(a, w.ctx, func(ctx context.Context) (struct{}, error) {
			return struct{}{}, a.api.DeleteJob(ctx, j.ID)
		}, func(_ struct{}, err error) {
			if err != nil && adminapi.KindOf(err) != adminapi.KindNotFound {
				a.showError(err)
				return
			}
			w.selected = ""
			w.reload()
		})
	}, w.adm.win)
}

// jobRow is one row of the Jobs window; double-click opens Job Details.
type jobRow struct {
	widget.BaseWidget
	w     *jobsWindow
	id    widget.ListItemID
	job   model.Job
	sw    *canvas.Rectangle
	cells *cellRow
}

func newJobRow(w *jobsWindow) *jobRow {
	r := &jobRow{w: w, id: -1, sw: swatch()}
	r.cells = w.cols.row()
	r.cells.box.Objects[1] = container.NewBorder(nil, nil, container.NewCenter(r.sw), nil, r.cells.labels[1])
	r.ExtendBaseWidget(r)
	return r
}

func (r *jobRow) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(r.cells) }

func (r *jobRow) update(id widget.ListItemID, j model.Job) {
	r.id, r.job = id, j
	r.sw.FillColor = jobColor(j.Status)
	r.sw.Refresh()
	r.cells.setTexts(jobCells(j, r.w.titles))
}

// jobCells is what a job's row shows, a text a column. The Package column
// reads as Job Details does, "S0100001 — Tool 2.1": the ID alone told an
// administrator nothing, and it stays for finding the package by ID.
// titles maps package IDs to Package.Title; an ID not in it (a package
// deleted since) shows alone.
func jobCells(j model.Job, titles map[string]string) []string {
	state := j.Status.State.Title()
	if j.Cancel && !j.Status.State.Final() {
		state += " (canceling)"
	}
	progress := j.Status.Outcomes()
	if progress == "" && j.Status.LastError != "" {
		progress = j.Status.LastError
	}
	pkg := j.Package
	if t := titles[j.Package]; t != "" {
		pkg += " — " + t
	}
	return []string{j.ID, state, progress, pkg, j.Target.Title(), formatTime(j.Schedule.StartAfter), j.Schedule.Priority.Title()}
}

func (r *jobRow) Tapped(*fyne.PointEvent) {
	if r.id >= 0 {
		r.w.list.Select(r.id)
	}
}

func (r *jobRow) DoubleTapped(*fyne.PointEvent) {
	r.Tapped(nil)
	if r.id >= 0 {
		r.w.adm.openJob(r.job)
	}
}
