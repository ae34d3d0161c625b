package model

import (
	"fmt"
	"strings"
)

// Waiting returns how many of a Run Command job's computers have no final
// result yet.
func (s JobStatus) Waiting() int { return max(s.TargetsTotal-s.TargetsDone, 0) }

// HasFailures reports whether some computer failed the job: a finished job
// with failures is shown apart from a clean one.
func (s JobStatus) HasFailures() bool { return s.TargetsFailed > 0 }

// Outcomes says how a Run Command job's computers stand, in the order an
// administrator reads them: "2 succeeded, 1 already installed, 1 failed,
// 3 not applicable, 4 waiting". Counts of zero are left out; a job with
// no computers (or of another type) gives "".
func (s JobStatus) Outcomes() string {
	var parts []string
	for _, p := range []struct {
		n    int
		word string
	}{
		{s.TargetsSucceeded, "succeeded"},
		{s.TargetsInstalled, "already installed"},
		{s.TargetsFailed, "failed"},
		{s.TargetsNotApplicable, "not applicable"},
		{s.Waiting(), "waiting"},
	} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", p.n, p.word))
		}
	}
	return strings.Join(parts, ", ")
}

// Outcome says how one computer's part of a job stands, in a few words:
// "complete", "complete, already installed", "not applicable", "failed".
func (t TargetStatus) Outcome() string {
	switch {
	case t.State == TargetComplete && t.AlreadyInstalled:
		return "complete, already installed"
	case t.State == TargetNotApplicable:
		return "not applicable"
	case t.State == "":
		return string(TargetNone)
	}
	return string(t.State)
}
