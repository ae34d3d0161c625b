package model

import (
	"fmt"
	"time"
)

// jobMoves lists the legal moves between overall job states, as documented
// on the JobState constants:
//
//	Pending  -> Active, Canceled
//	Active   -> Complete, Retrying, Failed, Canceled
//	Retrying -> Active, Complete, Failed, Canceled
//
// Complete, Failed and Canceled are final: nothing leaves them.
var jobMoves = map[JobState][]JobState{
	JobPending:  {JobActive, JobCanceled},
	JobActive:   {JobComplete, JobRetrying, JobFailed, JobCanceled},
	JobRetrying: {JobActive, JobComplete, JobFailed, JobCanceled},
}

// JobStates lists every overall job state, in the order a job meets them.
var JobStates = []JobState{JobPending, JobActive, JobRetrying, JobComplete, JobFailed, JobCanceled}

// CanMove reports whether a job may go from s to another state to. Staying
// in the same state is not a move and reports false.
func (s JobState) CanMove(to JobState) bool {
	for _, t := range jobMoves[s] {
		if t == to {
			return true
		}
	}
	return false
}

// Final reports whether s is Complete, Failed or Canceled.
func (s JobState) Final() bool {
	return s == JobComplete || s == JobFailed || s == JobCanceled
}

// Valid reports whether s is one of the JobState constants.
func (s JobState) Valid() bool {
	for _, k := range JobStates {
		if s == k {
			return true
		}
	}
	return false
}

// Move changes the job's overall state, stamping Updated, Activated (the
// first time it becomes Active) and Finished (when it reaches a final state).
// An illegal move is an error naming both states and changes nothing; moving
// to the state the job is already in changes nothing and is not an error, so
// that a cycle repeating its work after a crash is harmless.
func (j *Job) Move(to JobState, now time.Time) error {
	from := j.Status.State
	if from == "" {
		from = JobPending
	}
	if from == to {
		return nil
	}
	if !from.CanMove(to) {
		return fmt.Errorf("job %s cannot go from %s to %s", j.ID, from, to)
	}
	j.Status.State = to
	j.Status.Updated = now
	if to == JobActive && j.Status.Activated.IsZero() {
		j.Status.Activated = now
	}
	if to.Final() {
		j.Status.Finished = now
		j.Status.NextAction = time.Time{}
	}
	return nil
}

// targetMoves lists the legal moves of one computer's part of a job:
//
//	None     -> Offered                                  the instruction file lists the job
//	Offered  -> Running, Complete, Failed, Retrying      the client started, or reported a result
//	Running  -> Complete, Failed, Retrying               the command line ended
//	Retrying -> Running, Offered, Complete, Failed       the client tries again, or gives up
//	None     -> NotApplicable                            the computer cannot run the command line
//
// Offered may go straight to a result because a client can start and
// finish between two collects. Offered and Retrying may go to Failed when
// the job expires before the computer reports. Complete, Failed and
// NotApplicable are final; only running the job again (Rerun) starts a
// computer over, in a new generation.
var targetMoves = map[TargetState][]TargetState{
	TargetNone:     {TargetOffered, TargetNotApplicable},
	TargetOffered:  {TargetRunning, TargetComplete, TargetFailed, TargetRetrying},
	TargetRunning:  {TargetComplete, TargetFailed, TargetRetrying},
	TargetRetrying: {TargetRunning, TargetOffered, TargetComplete, TargetFailed},
}

// TargetStates lists every per-computer state.
var TargetStates = []TargetState{TargetNone, TargetOffered, TargetRunning, TargetRetrying, TargetComplete, TargetFailed, TargetNotApplicable}

// CanMove reports whether a computer's part of a job may go from s to
// another state to. Staying in the same state is not a move and reports
// false. The empty state counts as None.
func (s TargetState) CanMove(to TargetState) bool {
	if s == "" {
		s = TargetNone
	}
	for _, t := range targetMoves[s] {
		if t == to {
			return true
		}
	}
	return false
}

// Final reports whether s is Complete, Failed or NotApplicable.
func (s TargetState) Final() bool {
	return s == TargetComplete || s == TargetFailed || s == TargetNotApplicable
}

// Valid reports whether s is one of the TargetState constants.
func (s TargetState) Valid() bool {
	for _, k := range TargetStates {
		if s == k {
			return true
		}
	}
	return false
}

// Move changes the computer's state, stamping Updated. An illegal move is an
// error naming both states and changes nothing; moving to the current
// state changes nothing.
func (t *TargetStatus) Move(to TargetState, now time.Time) error {
	from := t.State
	if from == "" {
		from = TargetNone
	}
	if from == to {
		return nil
	}
	if !from.CanMove(to) {
		return fmt.Errorf("computer %s cannot go from %s to %s for job %s", t.Computer, from, to, t.Job)
	}
	t.State = to
	t.Updated = now
	return nil
}

// Rerun starts the computer's part of the job over in the next generation,
// as when the administrator runs the job again on it: state None (the
// next cycle offers it again), no result, no attempts.
func (t *TargetStatus) Rerun(now time.Time) {
	*t = TargetStatus{Job: t.Job, Computer: t.Computer, State: TargetNone, Generation: t.Gen() + 1, Updated: now}
}

// Gen returns the computer's generation of the job, 1 when never rerun.
func (t TargetStatus) Gen() int { return max(t.Generation, 1) }

// Reopen makes a finished Run Command job Active again, because the
// administrator asked to run it again on some of its computers. It is the
// one way out of Complete or Failed, and is not a move of the state
// machine: the watchdog never takes it. Canceled stays final.
func (j *Job) Reopen(now time.Time) error {
	switch {
	case j.Type != JobRun:
		return invalidf("job %s is not a Run Command job; only those run again on computers", j.ID)
	case j.Status.State == JobCanceled || j.Cancel:
		return invalidf("job %s was canceled; make a new job instead", j.ID)
	case !j.Status.State.Final():
		return nil
	}
	j.Status.State = JobActive
	j.Status.Finished = time.Time{}
	j.Status.Updated = now
	return nil
}

// FinishedJobsOf lists the jobs of js that used package pkg and have
// finished: a package's deletion leaves them (the store refuses it while an
// unfinished job uses the package), showing the package's ID without its
// name.
func FinishedJobsOf(js []Job, pkg string) []Job {
	var out []Job
	for _, j := range js {
		if j.Package == pkg && j.Status.State.Final() {
			out = append(out, j)
		}
	}
	return out
}
