package watchdog

import (
	"context"
	"fmt"
	"strings"

	"opensms/core/model"
)

// RerunScope says which computers of a job run it again.
type RerunScope string

// Rerun scopes.
const (
	RerunFailed   RerunScope = "failed"   // the computers that failed
	RerunAll      RerunScope = "all"      // every computer with a result
	RerunComputer RerunScope = "computer" // one computer, named
)

// Rerun asks for a Run Command job to run again on some of its computers.
type Rerun struct {
	Scope    RerunScope
	Computer string // RerunComputer only
	// By is who asked, for the event log: a user name.
	By string
}

// RerunJob offers a Run Command job again to the computers r selects,
// under a new generation: their clients run it again (a mandatory one by
// itself), and a finished job becomes Active again. It returns how many
// computers were chosen. A job that is pending, canceled or not a Run
// Command job, or that has no computer to choose, is refused with an
// error matching model.ErrInvalid.
func (s *Service) RerunJob(ctx context.Context, id string, r Rerun) (int, error) {
	if r.Scope == "" {
		r.Scope = RerunFailed
	}
	s.jobMu.Lock()
	j, n, err := s.rerunLocked(ctx, id, r)
	s.jobMu.Unlock()
	if err != nil {
		return 0, err
	}
	s.publishJob(j)
	by := r.By
	if by == "" {
		by = "the administrator"
	}
	what := count(n, "computer")
	switch r.Scope {
	case RerunFailed:
		what = count(n, "failed computer")
	case RerunComputer:
		what = model.NormalizeComputerName(r.Computer)
	}
	s.event(ctx, model.Event{Severity: model.SevInfo, Job: id, Package: j.Package,
		Message: fmt.Sprintf("job %s runs again on %s, as %s asked", id, what, by)})
	s.Wake()
	return n, nil
}

func (s *Service) rerunLocked(ctx context.Context, id string, r Rerun) (model.Job, int, error) {
	j, err := s.st.GetJob(ctx, id)
	if err != nil {
		return j, 0, fmt.Errorf("running job %s again: %w", id, err)
	}
	if st := j.Status.State; st == model.JobPending || st == "" {
		return j, 0, invalid(fmt.Sprintf("job %s has not started yet, so there is nothing to run again", id))
	}
	now := s.cfg.Now()
	if expired(&j, now) {
		// The next cycle would fail every chosen computer at once.
		return j, 0, invalid(fmt.Sprintf("job %s expired at %s, so no computer can run it again; make a new job", id, j.Run.ExpiresAfter.Local().Format("2006-01-02 15:04")))
	}
	if err := j.Reopen(now); err != nil {
		return j, 0, err
	}
	list, err := s.st.ListTargetStatuses(ctx, id)
	if err != nil {
		return j, 0, fmt.Errorf("reading the computers of job %s: %w", id, err)
	}
	want := model.NormalizeComputerName(r.Computer)
	var chosen []model.TargetStatus
	all := map[string]*model.TargetStatus{}
	for i := range list {
		ts := &list[i]
		all[ts.Computer] = ts
		var pick bool
		switch r.Scope {
		case RerunFailed:
			pick = ts.State == model.TargetFailed
		case RerunAll:
			pick = ts.State.Final()
		case RerunComputer:
			pick = model.NormalizeComputerName(ts.Computer) == want && ts.State != model.TargetNone && ts.State != ""
		default:
			return j, 0, invalid(fmt.Sprintf("%q is not failed, all or computer", r.Scope))
		}
		if pick {
			ts.Rerun(now)
			chosen = append(chosen, *ts)
		}
	}
	if len(chosen) == 0 {
		switch r.Scope {
		case RerunFailed:
			return j, 0, invalid(fmt.Sprintf("no computer failed job %s, so none runs it again", id))
		case RerunComputer:
			return j, 0, invalid(fmt.Sprintf("job %s has not been offered to %s, so it cannot run there again", id, want))
		}
		return j, 0, invalid(fmt.Sprintf("no computer has finished job %s yet, so none runs it again", id))
	}
	if err := s.st.PutTargetStatuses(ctx, chosen...); err != nil {
		return j, 0, fmt.Errorf("running job %s again: %w", id, err)
	}
	tally(&j.Status, all) // the counts say "waiting" for them at once
	j.Status.Reruns++
	j.Status.LastError = ""
	// The fix may be in the package's source: Send looks at it again (an
	// unchanged source keeps its archive, so nothing is pushed again).
	j.Status.Sending = model.PhaseNone
	j.Status.Updated = now
	if err := s.st.UpdateJob(ctx, j); err != nil {
		return j, 0, fmt.Errorf("running job %s again: %w", id, err)
	}
	return j, len(chosen), nil
}

// invalidError is a refusal of what was asked, whole as it stands; it
// matches model.ErrInvalid.
type invalidError string

func (e invalidError) Error() string { return string(e) }

// Is makes errors.Is(err, model.ErrInvalid) hold.
func (e invalidError) Is(target error) bool { return target == model.ErrInvalid }

func invalid(msg string) error { return invalidError(strings.TrimSpace(msg)) }
