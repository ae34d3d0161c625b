package admin

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	adminapi "opensms/core/admin"
	"opensms/core/model"
	"opensms/core/watchdog"
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

// TestJobsWindowCancelsAndDeletesAsTheAPIAllows deletes a pending job,
// cancels another and then deletes it (a finished job may go), and shows the
// API's sentence when asked to delete an active one.
func TestJobsWindowCancelsAndDeletesAsTheAPIAllows(t *testing.T) {
	a, st := newTestAdmin(t)
	ctx := context.Background()
	p, _ := storedPackage(t, a, st)
	canceled, gone, active := storedJob(t, st, p), storedJob(t, st, p), storedJob(t, st, p)
	active.Status.State = model.JobActive
	must(t, st.UpdateJob(ctx, active))
	a.locked(a.jobs.reload)
	waitFor(t, a, "three jobs", func() bool { return len(a.jobs.jobs) == 3 })

	a.locked(func() {
		a.jobs.selected = gone.ID
		a.jobs.onDelete()
		tapDialogButton(t, a, "Yes")
	})
	waitFor(t, a, "the deleted job gone from the window", func() bool { return len(a.jobs.jobs) == 2 })
	if _, err := st.GetJob(ctx, gone.ID); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("deleted job still stored: %v", err)
	}

	a.locked(func() {
		a.jobs.selected = active.ID
		a.jobs.onDelete()
		tapDialogButton(t, a, "Yes")
	})
	want := "Job " + active.ID + " is active: cancel it before deleting it."
	waitFor(t, a, "the refusal", func() bool { return strings.Contains(overlayText(a), want) })
	a.locked(func() { tapDialogButton(t, a, "OK") })
	if _, err := st.GetJob(ctx, active.ID); err != nil {
		t.Errorf("an active job was deleted: %v", err)
	}

	a.locked(func() {
		a.jobs.selected = canceled.ID
		a.jobs.onCancelJob()
		tapDialogButton(t, a, "Yes")
	})
	waitFor(t, a, "Canceled", func() bool {
		j, ok := a.jobs.current()
		return ok && j.Status.State == model.JobCanceled
	})
	a.locked(func() {
		a.jobs.onDelete()
		tapDialogButton(t, a, "Yes")
	})
	waitFor(t, a, "the canceled job gone", func() bool { return len(a.jobs.jobs) == 1 })
	if _, err := st.GetJob(ctx, canceled.ID); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("a canceled job was not deleted: %v", err)
	}

	// The Watch stream batches, so the cancel's change can arrive after the
	// delete's reload: it must not bring the deleted job back.
	late := canceled
	late.Status.State = model.JobCanceled
	a.locked(func() {
		a.jobs.apply([]adminapi.Change{{Kind: watchdog.UpdateJob, Job: &late}})
		if len(a.jobs.jobs) != 1 {
			t.Errorf("a late change brought the deleted job %s back: %d jobs listed", canceled.ID, len(a.jobs.jobs))
		}
	})
	waitFor(t, a, "the list read again", func() bool { return len(a.jobs.jobs) == 1 })
}

// TestDeletingWhatAJobUsesShowsTheAPIsSentence: the package and the
// machine group a pending job uses are refused deletion, and the window says
// the API's sentence, which names the job.
func TestDeletingWhatAJobUsesShowsTheAPIsSentence(t *testing.T) {
	a, st := newTestAdmin(t)
	ctx := context.Background()
	p, _ := storedPackage(t, a, st)
	j := model.Job{}
	j.ApplyDefaults()
	j.Package, j.Target, j.Run.Command = p.ID, model.Target{Kind: model.TargetGroup, Name: "Accounting"}, "Install"
	made, err := a.api.AddJob(ctx, j)
	must(t, err)
	for _, tc := range []struct {
		what string
		del  func()
		api  error
	}{
		{"package", func() {
			a.packages.list.Select(0)
			a.packages.onDelete()
		}, a.api.DeletePackage(ctx, p.ID)},
		{"group", func() {
			a.groups.list.Select(0)
			a.groups.onDelete()
		}, a.api.DeleteGroup(ctx, "Accounting")},
	} {
		if tc.api == nil || !strings.Contains(tc.api.Error(), made.Job.ID) {
			t.Fatalf("the API deletes the %s a job uses, or does not name the job: %v", tc.what, tc.api)
		}
		want := sentence(tc.api.Error())
		waitFor(t, a, "the lists", func() bool { return len(a.packages.pkgs) == 1 && len(a.groups.groups) == 1 })
		a.locked(tc.del)
		waitFor(t, a, "the question", func() bool { return a.win.Canvas().Overlays().Top() != nil })
		a.locked(func() { tapDialogButton(t, a, "Yes") })
		waitFor(t, a, "the refusal of the "+tc.what, func() bool { return strings.Contains(overlayText(a), want) })
		a.locked(func() { tapDialogButton(t, a, "OK") })
	}
	if _, err := st.GetPackage(ctx, p.ID); err != nil {
		t.Errorf("the package went: %v", err)
	}
	if _, err := st.GetGroup(ctx, "Accounting"); err != nil {
		t.Errorf("the group went: %v", err)
	}
}

// TestAFailedJobShowsItsCountsAtTheDefaultSize: in the tiled 1280×800
// Administrator the Jobs window showed a failed job's red State but dropped
// its Progress column ("1 failed") with the columns that had no room. The
// counts stand beside the colour, whole.
func TestAFailedJobShowsItsCountsAtTheDefaultSize(t *testing.T) {
	a, st := newTestAdmin(t)
	ctx := context.Background()
	p, _ := storedPackage(t, a, st)
	j := storedJob(t, st, p)
	j.Status = model.JobStatus{State: model.JobFailed, TargetsTotal: 1, TargetsDone: 1, TargetsFailed: 1}
	must(t, st.UpdateJob(ctx, j))
	a.locked(a.jobs.reload)
	var row *jobRow
	waitFor(t, a, "the failed job's row", func() bool {
		for _, r := range a.jobs.rows {
			if r.id == 0 && r.job.ID == j.ID && r.job.Status.State == model.JobFailed {
				row = r
				return true
			}
		}
		return false
	})
	a.locked(func() {
		iw := a.find(titleJobs).iw
		if iw.Size().Width > 500 {
			t.Fatalf("the Jobs window is %.0f wide: not the narrow default tile this test is about", iw.Size().Width)
		}
		state, progress := row.cells.labels[slices.Index(a.jobs.cols.titles, "State")], row.cells.labels[slices.Index(a.jobs.cols.titles, "Progress")]
		if progress.Text != "1 failed" {
			t.Fatalf("the Progress cell reads %q", progress.Text)
		}
		for _, l := range []*widget.Label{state, progress} {
			if !l.Visible() || !shownWhole(l) {
				t.Errorf("in a %.0f wide Jobs window the cell %q is %.0f wide (shown %v): cut or dropped", iw.Size().Width, l.Text, l.Size().Width, l.Visible())
			}
		}
		if row.sw.FillColor != stateColor(model.JobFailed) {
			t.Errorf("the failed job's swatch is %v", row.sw.FillColor)
		}
	})
}

// TestDeletingAPackageNamesTheFinishedJobsThatUsedIt: a package whose jobs
// had all finished went after a bare "Delete package …?", and its jobs
// showed "(package not found)". The question names the finished job; left
// alone, the job stays; ticked, it goes with the package.
func TestDeletingAPackageNamesTheFinishedJobsThatUsedIt(t *testing.T) {
	a, st := newTestAdmin(t)
	ctx := context.Background()
	for _, drop := range []bool{false, true} {
		p, _ := storedPackage(t, a, st)
		j := storedJob(t, st, p)
		j.Status.State = model.JobFailed
		must(t, st.UpdateJob(ctx, j))
		waitFor(t, a, "the package listed", func() bool { return len(a.packages.pkgs) == 1 })
		a.locked(func() {
			a.packages.list.Select(0)
			a.packages.onDelete()
		})
		waitFor(t, a, "the question", func() bool { return a.win.Canvas().Overlays().Top() != nil })
		a.locked(func() {
			top := a.win.Canvas().Overlays().Top()
			if text := overlayText(a); !strings.Contains(text, "Finished job "+j.ID+" used it") {
				t.Errorf("the question does not name job %s: %q", j.ID, text)
			}
			if drop {
				test.Tap(checkIn(t, top, "Delete that job too"))
			}
			tapDialogButton(t, a, "Yes")
		})
		waitFor(t, a, "the package gone", func() bool { return len(a.packages.pkgs) == 0 })
		if _, err := st.GetPackage(ctx, p.ID); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("package %s still stored: %v", p.ID, err)
		}
		_, err := st.GetJob(ctx, j.ID)
		if drop && !errors.Is(err, model.ErrNotFound) {
			t.Errorf("job %s stayed though its deletion was ticked: %v", j.ID, err)
		}
		if !drop && err != nil {
			t.Errorf("job %s went though its deletion was not ticked: %v", j.ID, err)
		}
	}
}

// The Jobs window's Package column showed "S0100001" only: an
// administrator had to open each job to see what it installs. It reads as
// Job Details does, ID and title, sized to that text, and follows a
// rename through the Watch stream.
func TestJobsPackageColumnNamesThePackage(t *testing.T) {
	a, st := newTestAdmin(t)
	ctx := context.Background()
	p, _ := storedPackage(t, a, st)
	storedJob(t, st, p)
	a.locked(a.jobs.reload)
	waitFor(t, a, "the job", func() bool { return len(a.jobs.jobs) == 1 })
	// shown runs on the app's goroutine (inside a.locked or waitFor).
	shown := func() (text string, width float32) {
		r := newJobRow(a.jobs)
		r.update(0, a.jobs.jobs[0])
		return r.cells.labels[3].Text, a.jobs.cols.want[3]
	}
	want := p.ID + " — Hello 1.0"
	var got string
	var w float32
	a.locked(func() { got, w = shown() })
	if got != want {
		t.Errorf("Package reads %q, want %q", got, want)
	} else if need := min(textWidth(want, fyne.TextStyle{}), fitCap); w < need {
		t.Errorf("the Package column is %.0f wide, %.0f short of %q", w, need-w, want)
	}

	p.Name = "Hello Renamed"
	_, err := a.api.UpdatePackage(ctx, p)
	must(t, err)
	want = p.ID + " — Hello Renamed 1.0"
	waitFor(t, a, "the renamed package in the Jobs window", func() bool { got, _ := shown(); return got == want })
}
