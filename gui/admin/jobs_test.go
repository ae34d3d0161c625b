package admin

import (
	"context"
	"errors"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"opensms/core/model"
	"opensms/core/watchdog"
	"opensms/storage/shares"
)

// tapDialogButton taps the button with the text in the top dialog.
func tapDialogButton(t *testing.T, a *Admin, text string) {
	t.Helper()
	top := a.win.Canvas().Overlays().Top()
	if top == nil {
		t.Fatalf("no dialog to tap %q in", text)
	}
	test.Tap(buttonIn(t, top, text))
}

func TestJobsWindowCancelsAndDeletesOnlyPendingJobs(t *testing.T) {
	a, st := newTestAdmin(t, func(st model.Store) Watchdog {
		return watchdog.New(st, shares.NewOpener(), watchdog.Config{})
	})
	ctx := context.Background()
	p, _ := storedPackage(t, a, st)
	mk := func() model.Job {
		j := model.Job{}
		j.ApplyDefaults()
		j.Package, j.Target, j.Run.Command, j.Created = p.ID, model.Target{Kind: model.TargetComputer, Name: "PC001"}, "Install", time.Now()
		j, err := st.CreateJob(ctx, j)
		must(t, err)
		return j
	}
	keep, gone := mk(), mk()
	a.locked(a.jobs.reload)
	waitFor(t, a, "two jobs", func() bool { return len(a.jobs.jobs) == 2 })

	a.locked(func() {
		a.jobs.selected = gone.ID
		a.jobs.onDelete()
		tapDialogButton(t, a, "Yes")
	})
	waitFor(t, a, "the deleted job gone from the window", func() bool { return len(a.jobs.jobs) == 1 })
	if _, err := st.GetJob(ctx, gone.ID); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("deleted job still stored: %v", err)
	}

	a.locked(func() {
		a.jobs.selected = keep.ID
		a.jobs.onCancelJob()
		tapDialogButton(t, a, "Yes")
	})
	waitFor(t, a, "Canceled", func() bool { return a.jobs.jobs[0].Status.State == model.JobCanceled })
	a.locked(func() {
		a.jobs.onDelete() // a canceled job is not pending
		tapDialogButton(t, a, "OK")
	})
	if _, err := st.GetJob(ctx, keep.ID); err != nil {
		t.Errorf("a canceled job was deleted: %v", err)
	}
}
