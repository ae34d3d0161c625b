package admin

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	adminapi "opensms/core/admin"
	"opensms/core/model"
)

// TestFailedJobReadsAndRunsAgain: a Run Command job that failed on its
// computer shows its counts, a complete job with a failure is coloured
// apart from a clean or a failed one, and Job Details' "Run again on failed
// computers" offers it again: the job is Active, the computer in its second
// generation, and the event log says who asked.
func TestFailedJobReadsAndRunsAgain(t *testing.T) {
	a, st := newTestAdmin(t)
	ctx := context.Background()
	p, _ := storedPackage(t, a, st)
	j := storedJob(t, st, p)
	code := 0
	must(t, st.PutTargetStatuses(ctx, model.TargetStatus{Job: j.ID, Computer: "PC001", State: model.TargetFailed, ExitCode: &code, Attempts: 1,
		LastError: "the command exited with code 0, but the package is not installed: rule 1: /opt/app does not exist"}))
	j.Status = model.JobStatus{State: model.JobFailed, TargetsTotal: 1, TargetsDone: 1, TargetsFailed: 1, Activated: time.Now(), Finished: time.Now()}
	must(t, st.UpdateJob(ctx, j))

	a.locked(a.jobs.reload)
	waitFor(t, a, "the job in the window", func() bool { return len(a.jobs.jobs) == 1 })
	var progress string
	a.locked(func() {
		r := newJobRow(a.jobs)
		r.update(0, a.jobs.jobs[0])
		progress = r.cells.labels[2].Text
	})
	if progress != "1 failed" {
		t.Errorf("Progress reads %q", progress)
	}
	amber := jobColor(model.JobStatus{State: model.JobComplete, TargetsTotal: 2, TargetsDone: 2, TargetsFailed: 1, TargetsSucceeded: 1})
	if amber == stateColor(model.JobComplete) || amber == stateColor(model.JobFailed) || jobColor(model.JobStatus{State: model.JobComplete, TargetsSucceeded: 1}) != stateColor(model.JobComplete) {
		t.Errorf("a complete job with failures is coloured %v like a clean or failed one", amber)
	}

	jd := newJobDetails(a, j, p, false)
	a.locked(jd.show)
	if jd.rerun.Disabled() || !strings.Contains(jd.overall.Text, "Failed — 1 failed") {
		t.Fatalf("Job Details: rerun disabled %v, overall %q", jd.rerun.Disabled(), jd.overall.Text)
	}
	a.locked(func() {
		test.Tap(jd.rerun)
		tapDialogButton(t, a, "Yes")
	})
	waitFor(t, a, "the job active again", func() bool {
		got, err := st.GetJob(ctx, j.ID)
		return err == nil && got.Status.State == model.JobActive
	})
	ts, err := st.ListTargetStatuses(ctx, j.ID)
	must(t, err)
	if len(ts) != 1 || ts[0].State != model.TargetNone || ts[0].Gen() != 2 {
		t.Errorf("computer after the rerun: %+v", ts)
	}
	evs, err := st.ListEvents(ctx, model.EventFilter{Job: j.ID})
	must(t, err)
	if len(evs) == 0 || !strings.Contains(evs[0].Message, "runs again on 1 failed computer, as ") {
		t.Errorf("events: %+v", evs)
	}
}

// TestJobDetailsWarnsOfComputersThatCannotRunIt: OK on a job whose command
// line a target computer cannot run stores it and says so, in the API's
// words.
func TestJobDetailsWarnsOfComputersThatCannotRunIt(t *testing.T) {
	a, st := newTestAdmin(t)
	ctx := context.Background()
	_, err := a.api.AddComputer(ctx, adminapi.ComputerRequest{Name: "WIN01", Site: "S01", Platform: "windows/amd64"})
	must(t, err)
	p, _ := storedPackage(t, a, st)
	a.locked(func() {
		a.newJob(p, model.Target{Kind: model.TargetSite, Name: "S01"})
		test.Tap(buttonIn(t, mustDialog(t, a, "Job Details"), "OK"))
	})
	var id string
	waitFor(t, a, "the job stored", func() bool {
		if js, _ := st.ListJobs(ctx); len(js) == 1 {
			id = js[0].ID
		}
		return id != ""
	})
	want := `1 of 2 target computers cannot run command line "Install", which runs on linux/amd64: 1 is windows/amd64 (WIN01); it will not be offered the job and will read not applicable.`
	waitFor(t, a, "the warning", func() bool {
		d := dialogNamed(a, "Job "+id)
		return d != nil && labelText(d, want)
	})
}

// TestFailedJobSaysItsCountsOnce: the Status tab's Overall line of a
// failed job names its counts once, though the watchdog's sentence carries
// them too ("Failed — 1 failed — no computer succeeded (1 failed)" was
// shown before).
func TestFailedJobSaysItsCountsOnce(t *testing.T) {
	a, st := newTestAdmin(t)
	ctx := context.Background()
	p, _ := storedPackage(t, a, st)
	j := storedJob(t, st, p)
	j.Status = model.JobStatus{State: model.JobFailed, TargetsTotal: 1, TargetsDone: 1, TargetsFailed: 1,
		LastError: "no computer succeeded (1 failed)", Activated: time.Now(), Finished: time.Now()}
	must(t, st.UpdateJob(ctx, j))
	jd := newJobDetails(a, j, p, false)
	a.locked(jd.show)
	if got := jd.overall.Text; got != "Failed — no computer succeeded (1 failed)" {
		t.Errorf("Overall reads %q", got)
	}
}
