package watchdog

import (
	"context"
	"fmt"
	"time"

	"opensms/core/model"
)

// finish expires Run Command jobs whose time is up, counts their
// computers, and finishes those whose computers have all reported a
// result: Complete when at least one computer has the package (it ran, or
// it was installed already), with the failures counted; Failed when none
// has (SMS 1.2 called both Complete, and a console that shows a job that
// failed everywhere as complete misleads).
func (s *Service) finish(ctx context.Context, w *world, runs []*runJob) {
	for _, rj := range runs {
		j := rj.job
		if j.Status.State.Final() {
			continue
		}
		if expired(j, w.now) {
			if !distributed(j) {
				s.fail(ctx, w, j, fmt.Sprintf("it expired at %s before package %s reached its servers", j.Run.ExpiresAfter.Format("2006-01-02 15:04 MST"), j.Package))
				continue
			}
			late := 0
			for _, c := range rj.computers() {
				ts := rj.targets[c]
				if ts.State.Final() {
					continue
				}
				late++
				if ts.State == model.TargetNone || ts.State == "" {
					_ = ts.Move(model.TargetOffered, w.now)
				}
				_ = ts.Move(model.TargetFailed, w.now)
				ts.LastError = "the job expired before this computer reported a result"
				ts.NextAction = time.Time{} // nothing more will happen
				rj.dirty[c] = true
			}
			if late > 0 {
				s.event(ctx, model.Event{Severity: model.SevWarning, Job: j.ID, Package: j.Package,
					Message: fmt.Sprintf("job %s expired: %s had not reported a result", j.ID, count(late, "computer"))})
			}
		}
		if err := s.flush(ctx, rj); err != nil {
			s.log.Error("storing computer status", "job", j.ID, "err", err)
			continue
		}
		changed := tally(&j.Status, rj.targets)
		st := &j.Status
		if (st.TargetsTotal > 0 && st.TargetsDone == st.TargetsTotal) || expired(j, w.now) {
			if st.TargetsSucceeded+st.TargetsInstalled > 0 {
				s.finalize(ctx, w, j, model.JobComplete, fmt.Sprintf("job %s complete on %s: %s", j.ID, count(st.TargetsTotal, "computer"), st.Outcomes()))
				continue
			}
			switch {
			case st.TargetsTotal == 0:
				st.LastError = "it expired before it reached any computer"
			case st.TargetsNotApplicable == st.TargetsTotal:
				st.LastError = fmt.Sprintf("no target computer can run its command line (%s)", st.Outcomes())
			default:
				st.LastError = fmt.Sprintf("no computer succeeded (%s)", st.Outcomes())
			}
			s.finalize(ctx, w, j, model.JobFailed, fmt.Sprintf("job %s failed: %s", j.ID, st.LastError))
			continue
		}
		if changed {
			_ = s.saveJob(ctx, j)
		}
	}
}
