package watchdog_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"opensms/core/model"
	"opensms/core/protocol"
	"opensms/core/share"
	"opensms/core/watchdog"
)

// writeResult plays the client reporting a result of a given generation.
func (r *rig) writeResult(job, computer string, gen int, state model.TargetState, code int, already bool) {
	r.t.Helper()
	st := protocol.Status{Format: protocol.StatusFormat, Job: job, Computer: computer, Generation: gen,
		State: state, Attempts: 1, AlreadyInstalled: already, Finished: time.Now(), Written: time.Now()}
	if !already {
		st.ExitCode = &code
	}
	data, err := protocol.EncodeStatus(computerKey(computer), st)
	must(r.t, err)
	name, err := protocol.StatusPath(computer, job)
	must(r.t, err)
	must(r.t, share.WriteFileAtomic(bg, r.siteFS(), name, data))
}

// A Windows-only command line aimed at a site with a Linux computer: the
// Linux one is not applicable (not offered, not failed); a job that failed
// on every computer that could run it is Failed; running it again on the
// failed computer offers it under a new generation, an old result does
// not count, and the job ends Complete.
func TestNotApplicableFailedAndRerun(t *testing.T) {
	r := newRig(t)
	r.pkg.Commands[0].Platforms = []model.Platform{"windows/amd64"}
	must(t, r.st.UpdatePackage(bg, r.pkg))
	j := r.addJob(nil)
	r.runOnce()

	if ts := r.target(j.ID, "PC001"); ts.State != model.TargetNotApplicable || !strings.Contains(ts.LastError, "linux/amd64") || !strings.Contains(ts.LastError, "windows/amd64") {
		t.Fatalf("PC001: %+v", ts)
	}
	if len(r.instructions("PC002").Offers) != 1 {
		t.Fatal("PC002 was not offered the job")
	}
	if ins, err := share.ReadFile(r.siteFS(), "instructions/PC001.ins", protocol.MaxSignedSize); err == nil && strings.Contains(string(ins), j.ID) {
		t.Error("PC001 (linux) was offered a Windows-only job")
	}
	r.wantEvent(j.ID, "not applicable on 1 computer")

	r.writeResult(j.ID, "PC002", 1, model.TargetFailed, 1603, false)
	r.runOnce()
	failed := r.wantState(j.ID, model.JobFailed)
	if got := failed.Status.Outcomes(); got != "1 failed, 1 not applicable" || !strings.Contains(failed.Status.LastError, "no computer succeeded") {
		t.Errorf("failed job: %q, %q", got, failed.Status.LastError)
	}

	if _, err := r.svc.RerunJob(bg, j.ID, watchdog.Rerun{Scope: watchdog.RerunComputer, Computer: "PC404"}); !errors.Is(err, model.ErrInvalid) {
		t.Errorf("rerun on a computer the job has not reached: %v", err)
	}
	n, err := r.svc.RerunJob(bg, j.ID, watchdog.Rerun{Scope: watchdog.RerunFailed, By: "alice"})
	if err != nil || n != 1 {
		t.Fatalf("rerun: %d, %v", n, err)
	}
	r.wantState(j.ID, model.JobActive)
	r.wantEvent(j.ID, "runs again on 1 failed computer, as alice asked")
	if ts := r.target(j.ID, "PC002"); ts.State != model.TargetNone || ts.Gen() != 2 || ts.ExitCode != nil {
		t.Fatalf("PC002 after rerun: %+v", ts)
	}

	// The generation-1 failure is still on the share: it is no result now.
	r.runOnce()
	r.wantState(j.ID, model.JobActive)
	offers := r.instructions("PC002").Offers
	if len(offers) != 1 || offers[0].Generation != 2 {
		t.Fatalf("PC002 offers after rerun: %+v", offers)
	}
	if ts := r.target(j.ID, "PC002"); ts.State != model.TargetOffered {
		t.Fatalf("PC002 took an old result: %+v", ts)
	}

	r.writeResult(j.ID, "PC002", 2, model.TargetComplete, 0, true)
	r.runOnce()
	done := r.wantState(j.ID, model.JobComplete)
	if got := done.Status.Outcomes(); got != "1 already installed, 1 not applicable" || done.Status.LastError != "" {
		t.Errorf("complete job: %q, %q", got, done.Status.LastError)
	}
	if ts := r.target(j.ID, "PC002"); !ts.AlreadyInstalled || ts.Outcome() != "complete, already installed" {
		t.Errorf("PC002: %+v", ts)
	}
	r.wantEvent(j.ID, "complete, already installed")
	if _, err := r.svc.RerunJob(bg, j.ID, watchdog.Rerun{}); !errors.Is(err, model.ErrInvalid) || !strings.Contains(err.Error(), "no computer failed") {
		t.Errorf("rerun with nothing failed: %v", err)
	}

	// An expired job cannot run again: the next cycle would fail it at once.
	clock := time.Now()
	r.service(watchdog.Config{Now: func() time.Time { return clock }})
	gone := r.addJob(func(j *model.Job) { j.Run.ExpiresAfter = clock.Add(time.Hour) })
	r.runOnce()
	clock = clock.Add(2 * time.Hour)
	r.runOnce()
	r.wantState(gone.ID, model.JobFailed)
	if _, err := r.svc.RerunJob(bg, gone.ID, watchdog.Rerun{Scope: watchdog.RerunAll}); !errors.Is(err, model.ErrInvalid) || !strings.Contains(err.Error(), "expired at") {
		t.Errorf("rerun of an expired job: %v", err)
	}
}

// Every target computer cannot run the command line: the job is Failed
// and says why, with no computer counted failed.
func TestNothingApplicableFails(t *testing.T) {
	r := newRig(t)
	r.pkg.Commands[0].Platforms = []model.Platform{"darwin/arm64"}
	must(t, r.st.UpdatePackage(bg, r.pkg))
	j := r.addJob(nil)
	r.runOnce()
	r.runOnce()
	got := r.wantState(j.ID, model.JobFailed)
	if got.Status.TargetsFailed != 0 || got.Status.TargetsNotApplicable != 2 || !strings.Contains(got.Status.LastError, "no target computer can run its command line") {
		t.Errorf("status %+v", got.Status)
	}
}
