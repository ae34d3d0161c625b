package watchdog

import (
	"context"
	"fmt"

	"opensms/core/model"
)

// finish expires Run Command jobs whose time is up, counts their
// computers, and completes those whose computers have all reported a
// result. Completion is Complete even when some computers failed (SMS 1.2
// did the same); the failures show per computer and in TargetsFailed.
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
		total, done, failed := tally(rj.targets)
		changed := total != j.Status.TargetsTotal || done != j.Status.TargetsDone || failed != j.Status.TargetsFailed
		j.Status.TargetsTotal, j.Status.TargetsDone, j.Status.TargetsFailed = total, done, failed
		if (total > 0 && done == total) || expired(j, w.now) {
			msg := fmt.Sprintf("job %s complete: %d of %s succeeded", j.ID, done-failed, count(total, "computer"))
			if failed > 0 {
				msg += fmt.Sprintf(", %d failed", failed)
			}
			s.finalize(ctx, w, j, model.JobComplete, msg)
			continue
		}
		if changed {
			_ = s.saveJob(ctx, j)
		}
	}
}
