package admin

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	adminapi "opensms/core/admin"
	"opensms/core/model"
	"opensms/core/watchdog"
)

// eventColumns lays out Time, Severity, Job, Computer and Message; the
// message keeps at least half the width, however narrow the window: Job and
// Computer give way first (the detail under the list shows them).
func (a *Admin) eventColumns() *columns {
	c := a.listColumns("events", "Time", "Severity", "Job", "Computer", "Message")
	c.lastShare, c.giveWay = 0.5, []int{3, 2}
	return c
}

// eventLimit is how many events the window shows; the log itself keeps all.
const eventLimit = 1000

// eventsWindow shows the event log, newest first, filtered by job, computer
// and severity; new events arrive from the watchdog.
type eventsWindow struct {
	adm    *Admin
	ctx    context.Context
	cancel context.CancelFunc
	loads  latest // the newest reload wins

	cols          *columns // shared by the header and every row
	job, computer *widget.Entry
	severity      *widget.Select
	list          *keyList
	events        []model.Event
	// detail shows the selected event whole, as the list row cuts it short.
	detail   *widget.Label
	selected int
	filter   adminapi.EventFilter
}

func newEventsWindow(a *Admin) *eventsWindow {
	ctx, cancel := context.WithCancel(a.ctx)
	return &eventsWindow{adm: a, ctx: ctx, cancel: cancel, selected: -1, cols: a.eventColumns()}
}

func (w *eventsWindow) buildUI() fyne.CanvasObject {
	apply := func(string) { w.onFilter() }
	w.job = &widget.Entry{PlaceHolder: "job ID", OnSubmitted: apply}
	w.computer = &widget.Entry{PlaceHolder: "computer", OnSubmitted: apply}
	w.severity = &widget.Select{Options: []string{"All", "Info", "Warning", "Error"}, Selected: "All", OnChanged: apply}
	w.list = &keyList{onKey: w.adm.typedKey, List: widget.List{
		Length:     func() int { return len(w.events) },
		CreateItem: func() fyne.CanvasObject { return w.cols.row() },
		UpdateItem: func(id widget.ListItemID, o fyne.CanvasObject) {
			e := w.events[id]
			row := o.(*cellRow)
			row.setTexts(eventCells(e))
			imp := widget.MediumImportance
			switch e.Severity {
			case model.SevWarning:
				imp = widget.WarningImportance
			case model.SevError:
				imp = widget.DangerImportance
			}
			l := row.labels[1]
			l.Importance = imp
			l.Refresh()
		},
		OnSelected: func(id widget.ListItemID) {
			w.selected = id
			w.showDetail()
			w.adm.touch(titleEvents)
		},
		OnUnselected: func(widget.ListItemID) {
			w.selected = -1
			w.showDetail()
		},
	}}
	w.list.ExtendBaseWidget(w.list)
	w.detail = &widget.Label{Wrapping: fyne.TextWrapWord, Selectable: true}
	w.showDetail()
	bar := container.NewBorder(nil, nil, nil,
		container.NewHBox(w.severity, &widget.Button{Icon: theme.SearchIcon(), Text: "Filter", Importance: widget.LowImportance, OnTapped: w.onFilter}),
		container.NewGridWithColumns(2, w.job, w.computer))
	w.reload()
	w.adm.follow(w.ctx, w.apply)
	return container.NewBorder(container.NewVBox(bar, w.cols.header()),
		container.NewVBox(widget.NewSeparator(), w.detail), nil, nil, w.list)
}

func (w *eventsWindow) close() { w.cancel() }

// eventCells is what an event's row shows, a text a column.
func eventCells(e model.Event) []string {
	about := e.Computer
	if about == "" {
		about = e.Server
	}
	return []string{e.Time.Local().Format("01-02 15:04"), e.Severity.Title(), e.Job, about, e.Message}
}

// fit sizes the columns to the events' texts.
func (w *eventsWindow) fit() {
	w.cols.fit(len(w.events), func(i int) []string { return eventCells(w.events[i]) })
}

// eventNone is the detail pane's text while no event is selected.
const eventNone = "Select an event to read all of it."

// showDetail puts the selected event, whole and wrapped, under the list.
func (w *eventsWindow) showDetail() {
	if w.selected < 0 || w.selected >= len(w.events) {
		w.detail.SetText(eventNone)
		return
	}
	e := w.events[w.selected]
	head := []string{e.Time.Local().Format("2006-01-02 15:04:05"), e.Severity.Title()}
	for _, s := range []string{e.Job, e.Computer, e.Server} {
		if s != "" {
			head = append(head, s)
		}
	}
	w.detail.SetText(strings.Join(head, " · ") + "\n" + e.Message)
}

func (w *eventsWindow) onFilter() {
	w.filter = adminapi.EventFilter{
		Job:      strings.ToUpper(strings.TrimSpace(w.job.Text)),
		Computer: model.NormalizeComputerName(w.computer.Text),
		Limit:    eventLimit,
	}
	if w.severity.Selected != "All" {
		w.filter.Severity = model.Severity(strings.ToLower(w.severity.Selected))
	}
	w.reload()
}

func (w *eventsWindow) reload() {
	f := w.filter
	f.Limit = eventLimit
	newest := w.loads.next()
	background(w.adm, w.ctx, func(ctx context.Context) ([]model.Event, error) {
		return w.adm.api.ListEvents(ctx, f)
	}, func(es []model.Event, err error) {
		if !newest() {
			return
		}
		if err != nil {
			w.adm.status.setMessage("Reading events: " + err.Error())
			return
		}
		w.events = es
		w.list.UnselectAll()
		w.selected = -1
		w.showDetail()
		w.fit()
		w.list.Refresh()
	})
}

func (w *eventsWindow) matches(e model.Event) bool {
	f := w.filter
	return (f.Job == "" || e.Job == f.Job) && (f.Computer == "" || e.Computer == f.Computer) && (f.Severity == "" || e.Severity == f.Severity)
}

// apply puts new events from the watchdog at the top. An event the list
// holds already is skipped: a reload (Refresh, or the one after Run cycle)
// can read an event from the store before the stream brings it, and it
// showed twice.
func (w *eventsWindow) apply(us []adminapi.Change) {
	var fresh []model.Event
	var listed map[uint64]bool
	for i := len(us) - 1; i >= 0; i-- {
		e := us[i].Event
		if us[i].Kind != watchdog.UpdateEvent || e == nil || !w.matches(*e) {
			continue
		}
		if e.ID != 0 {
			if listed == nil {
				listed = make(map[uint64]bool, len(w.events))
				for _, old := range w.events {
					listed[old.ID] = true
				}
			}
			if listed[e.ID] {
				continue
			}
		}
		fresh = append(fresh, *e)
	}
	if len(fresh) == 0 {
		return
	}
	w.events = append(fresh, w.events...)
	if len(w.events) > eventLimit {
		w.events = w.events[:eventLimit]
	}
	// The selected event moved down by the new ones; keep it selected.
	if sel := w.selected; sel >= 0 {
		if sel+len(fresh) < len(w.events) {
			w.list.Select(sel + len(fresh))
		} else {
			w.list.UnselectAll()
		}
	}
	w.cols.fitMore(len(fresh), func(i int) []string { return eventCells(fresh[i]) })
	w.list.Refresh()
}

// onNew makes a package: the event log has nothing to make, and Ctrl+N
// should not do nothing.
func (w *eventsWindow) onNew() { w.adm.packagesOrOpen().onNew() }

// onProperties opens Job Details for the selected event's job, the thing
// an administrator reading "job S0100007 is retrying" wants to look at next.
func (w *eventsWindow) onProperties() {
	if w.selected < 0 || w.selected >= len(w.events) || w.events[w.selected].Job == "" {
		return
	}
	id := w.events[w.selected].Job
	a := w.adm
	background(a, w.ctx, func(ctx context.Context) (adminapi.JobStatus, error) {
		return a.api.GetJob(ctx, id)
	}, func(j adminapi.JobStatus, err error) {
		if err != nil {
			a.status.setMessage(sentence(err.Error()))
			return
		}
		a.openJob(j.Job)
	})
}
func (w *eventsWindow) onDelete() {}
