package model

import (
	"strings"
	"testing"
	"time"
)

func TestJobStateCanMoveEveryPair(t *testing.T) {
	legal := map[[2]JobState]bool{
		{JobPending, JobActive}:    true,
		{JobPending, JobCanceled}:  true,
		{JobActive, JobComplete}:   true,
		{JobActive, JobRetrying}:   true,
		{JobActive, JobFailed}:     true,
		{JobActive, JobCanceled}:   true,
		{JobRetrying, JobActive}:   true,
		{JobRetrying, JobComplete}: true,
		{JobRetrying, JobFailed}:   true,
		{JobRetrying, JobCanceled}: true,
	}
	for _, from := range JobStates {
		for _, to := range JobStates {
			want := legal[[2]JobState{from, to}]
			if got := from.CanMove(to); got != want {
				t.Errorf("%s.CanMove(%s) = %v, want %v", from, to, got, want)
			}
		}
	}
	if JobState("bogus").CanMove(JobActive) || JobPending.CanMove("bogus") {
		t.Error("an unknown state moved")
	}
}

func TestJobStateFinal(t *testing.T) {
	for _, s := range JobStates {
		want := s == JobComplete || s == JobFailed || s == JobCanceled
		if s.Final() != want {
			t.Errorf("%s.Final() = %v", s, s.Final())
		}
		if want && len(jobMoves[s]) != 0 {
			t.Errorf("final state %s has moves", s)
		}
	}
}

func TestJobMove(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, from := range JobStates {
		for _, to := range JobStates {
			j := Job{ID: "S0100001", Status: JobStatus{State: from}}
			err := j.Move(to, t0)
			switch {
			case from == to:
				if err != nil || j.Status.State != from || !j.Status.Updated.IsZero() {
					t.Errorf("%s -> %s: same state should change nothing, got %v %+v", from, to, err, j.Status)
				}
			case from.CanMove(to):
				if err != nil || j.Status.State != to || !j.Status.Updated.Equal(t0) {
					t.Errorf("%s -> %s: %v, state %s", from, to, err, j.Status.State)
				}
				if to.Final() != !j.Status.Finished.IsZero() {
					t.Errorf("%s -> %s: Finished = %v", from, to, j.Status.Finished)
				}
			default:
				if err == nil {
					t.Fatalf("%s -> %s: no error", from, to)
				}
				if !strings.Contains(err.Error(), string(from)) || !strings.Contains(err.Error(), string(to)) || !strings.Contains(err.Error(), "S0100001") {
					t.Errorf("%s -> %s: error %q does not name both states and the job", from, to, err)
				}
				if j.Status.State != from {
					t.Errorf("%s -> %s: illegal move changed the state to %s", from, to, j.Status.State)
				}
			}
		}
	}
}

func TestJobMoveStampsActivatedOnce(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var j Job // the zero state counts as Pending
	if err := j.Move(JobActive, t0); err != nil {
		t.Fatal(err)
	}
	if err := j.Move(JobRetrying, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := j.Move(JobActive, t0.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if !j.Status.Activated.Equal(t0) {
		t.Errorf("Activated = %v, want the first activation %v", j.Status.Activated, t0)
	}
}

func TestTargetStateCanMoveEveryPair(t *testing.T) {
	legal := map[[2]TargetState]bool{
		{TargetNone, TargetOffered}:       true,
		{TargetNone, TargetNotApplicable}: true,
		{TargetOffered, TargetRunning}:    true,
		{TargetOffered, TargetComplete}:   true,
		{TargetOffered, TargetFailed}:     true,
		{TargetOffered, TargetRetrying}:   true,
		{TargetRunning, TargetComplete}:   true,
		{TargetRunning, TargetFailed}:     true,
		{TargetRunning, TargetRetrying}:   true,
		{TargetRetrying, TargetRunning}:   true,
		{TargetRetrying, TargetOffered}:   true,
		{TargetRetrying, TargetComplete}:  true,
		{TargetRetrying, TargetFailed}:    true,
	}
	for _, from := range TargetStates {
		for _, to := range TargetStates {
			want := legal[[2]TargetState{from, to}]
			if got := from.CanMove(to); got != want {
				t.Errorf("%s.CanMove(%s) = %v, want %v", from, to, got, want)
			}
			ts := TargetStatus{Job: "S0100001", Computer: "PC1", State: from}
			err := ts.Move(to, time.Unix(1, 0))
			switch {
			case from == to:
				if err != nil {
					t.Errorf("%s -> %s: %v", from, to, err)
				}
			case want:
				if err != nil || ts.State != to {
					t.Errorf("%s -> %s: %v", from, to, err)
				}
			default:
				if err == nil || ts.State != from || !strings.Contains(err.Error(), string(from)) || !strings.Contains(err.Error(), string(to)) {
					t.Errorf("%s -> %s: got %v, state %s", from, to, err, ts.State)
				}
			}
		}
		if from.Final() != (from == TargetComplete || from == TargetFailed || from == TargetNotApplicable) {
			t.Errorf("%s.Final() = %v", from, from.Final())
		}
	}
	if !TargetState("").CanMove(TargetOffered) {
		t.Error("the empty state should count as None")
	}
}

func TestRerunAndReopen(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	code := 1
	ts := TargetStatus{Job: "S0100001", Computer: "PC1", State: TargetFailed, ExitCode: &code, Attempts: 2, LastError: "no"}
	ts.Rerun(t0)
	if ts.State != TargetNone || ts.Gen() != 2 || ts.ExitCode != nil || ts.Attempts != 0 || ts.LastError != "" || !ts.Updated.Equal(t0) {
		t.Fatalf("rerun left %+v", ts)
	}
	ts.Rerun(t0)
	if ts.Gen() != 3 {
		t.Fatalf("second rerun: generation %d", ts.Gen())
	}
	for _, c := range []struct {
		j     Job
		state JobState
		bad   string
	}{
		{Job{ID: "S0100001", Type: JobRun, Status: JobStatus{State: JobComplete, Finished: t0}}, JobActive, ""},
		{Job{ID: "S0100001", Type: JobRun, Status: JobStatus{State: JobFailed, Finished: t0}}, JobActive, ""},
		{Job{ID: "S0100001", Type: JobRun, Status: JobStatus{State: JobRetrying}}, JobRetrying, ""},
		{Job{ID: "S0100001", Type: JobRun, Status: JobStatus{State: JobCanceled}}, JobCanceled, "was canceled"},
		{Job{ID: "S0100001", Type: JobShare, Status: JobStatus{State: JobComplete}}, JobComplete, "not a Run Command job"},
	} {
		err := c.j.Reopen(t0)
		if (err == nil) != (c.bad == "") || err != nil && !strings.Contains(err.Error(), c.bad) || c.j.Status.State != c.state {
			t.Errorf("%s job reopened: %v, now %s", c.j.Status.State, err, c.j.Status.State)
		}
		if c.state == JobActive && !c.j.Status.Finished.IsZero() {
			t.Errorf("a reopened job keeps its finish time")
		}
	}
}

func TestOutcomes(t *testing.T) {
	for _, c := range []struct {
		s    JobStatus
		want string
	}{
		{JobStatus{}, ""},
		{JobStatus{TargetsTotal: 10, TargetsDone: 6, TargetsSucceeded: 2, TargetsInstalled: 1, TargetsFailed: 1, TargetsNotApplicable: 2}, "2 succeeded, 1 already installed, 1 failed, 2 not applicable, 4 waiting"},
		{JobStatus{TargetsTotal: 3, TargetsDone: 3, TargetsFailed: 3}, "3 failed"},
	} {
		if got := c.s.Outcomes(); got != c.want {
			t.Errorf("Outcomes() = %q, want %q", got, c.want)
		}
	}
	if (TargetStatus{State: TargetComplete, AlreadyInstalled: true}).Outcome() != "complete, already installed" || (TargetStatus{State: TargetNotApplicable}).Outcome() != "not applicable" {
		t.Error("a computer's outcome reads wrong")
	}
}

func TestFinishedJobsOf(t *testing.T) {
	js := []Job{
		{ID: "J1", Package: "P1", Status: JobStatus{State: JobComplete}},
		{ID: "J2", Package: "P1", Status: JobStatus{State: JobActive}},
		{ID: "J3", Package: "P2", Status: JobStatus{State: JobFailed}},
		{ID: "J4", Package: "P1", Status: JobStatus{State: JobCanceled}},
		{ID: "J5", Package: "P1", Status: JobStatus{State: JobPending}},
	}
	var ids []string
	for _, j := range FinishedJobsOf(js, "P1") {
		ids = append(ids, j.ID)
	}
	if strings.Join(ids, ",") != "J1,J4" {
		t.Errorf("finished jobs of P1: %v, want J1,J4", ids)
	}
	if got := FinishedJobsOf(js, "P9"); len(got) != 0 {
		t.Errorf("finished jobs of an unused package: %v", got)
	}
}
