package watchdog_test

import (
	"slices"
	"testing"
	"time"

	"opensms/core/model"
	"opensms/core/protocol"
	"opensms/core/watchdog"
)

// jobsOf lists the jobs a computer's instruction file offers.
func (r *rig) jobsOf(computer string) (jobs []string, seq uint64) {
	r.t.Helper()
	ins := r.instructions(computer)
	for _, o := range ins.Offers {
		jobs = append(jobs, o.Job)
	}
	return jobs, ins.Sequence
}

// An offer a computer's client completed stays in its file (no rewrite
// for the result), until the file is signed again, the computer's offers
// change, or the job is cancelled; a failed result withdraws the offer at
// once; and it is left in place after a restart too (the index keeps what
// each file offers).
func TestCompletedOfferStaysUntilTheFileChanges(t *testing.T) {
	r := newRig(t)
	clock := &testClock{t: time.Now()}
	r.service(watchdog.Config{Now: clock.Now})
	must(t, r.st.PutComputers(bg, withKey(model.Computer{Name: "PC003", Site: siteCode, Platform: "linux/amd64"})))
	j1 := r.addJob(nil)
	r.runOnce()
	_, seq1 := r.jobsOf("PC001")
	_, seq2 := r.jobsOf("PC002")

	r.writeStatus(j1.ID, "PC001", model.TargetComplete, 0)
	r.writeStatus(j1.ID, "PC002", model.TargetFailed, 1)
	r.runOnce()
	if jobs, seq := r.jobsOf("PC001"); seq != seq1 || !slices.Equal(jobs, []string{j1.ID}) {
		t.Errorf("PC001 completed the job: file number %d (was %d), offers %v; want it untouched", seq, seq1, jobs)
	}
	if jobs, seq := r.jobsOf("PC002"); seq <= seq2 || len(jobs) != 0 {
		t.Errorf("PC002 failed the job: file number %d (was %d), offers %v; want it rewritten without the job", seq, seq2, jobs)
	}
	if jobs, _ := r.jobsOf("PC003"); !slices.Equal(jobs, []string{j1.ID}) {
		t.Errorf("PC003 still owes the job: offers %v", jobs)
	}
	r.wantState(j1.ID, model.JobActive)

	// A restarted watchdog still leaves it.
	r.service(watchdog.Config{Now: clock.Now})
	r.runOnce()
	if _, seq := r.jobsOf("PC001"); seq != seq1 {
		t.Errorf("the restarted watchdog rewrote PC001's file (number %d, was %d)", seq, seq1)
	}

	// Signed again: the settled offer goes.
	clock.Add(protocol.DefaultValidity/3 + time.Second) // past the validity's rounding
	r.runOnce()
	if jobs, seq := r.jobsOf("PC001"); seq <= seq1 || len(jobs) != 0 {
		t.Errorf("signed again: PC001's file number %d (was %d), offers %v; want none", seq, seq1, jobs)
	}

	// A second job for the whole site: completed by PC001, it stays there
	// until the job is cancelled.
	j2 := r.addJob(nil)
	r.runOnce()
	r.writeStatus(j2.ID, "PC001", model.TargetComplete, 0)
	r.runOnce()
	jobs, seq := r.jobsOf("PC001")
	if !slices.Equal(jobs, []string{j2.ID}) {
		t.Fatalf("PC001 completed job %s: offers %v", j2.ID, jobs)
	}
	r.runOnce()
	if _, again := r.jobsOf("PC001"); again != seq {
		t.Errorf("PC001's file was rewritten with nothing new (number %d, was %d)", again, seq)
	}
	must(t, r.svc.CancelJob(bg, j2.ID))
	r.runOnce()
	if jobs, again := r.jobsOf("PC001"); again <= seq || len(jobs) != 0 {
		t.Errorf("after the cancel PC001's file is number %d (was %d) and offers %v; want none", again, seq, jobs)
	}
}
