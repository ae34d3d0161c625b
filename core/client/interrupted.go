package client

import (
	"context"
	"fmt"
	"time"

	"opensms/core/model"
	"opensms/core/protocol"
)

// Interrupted is the word a run's outcome starts with when the engine that
// ran it died (kill -9, a crash, the power) before the command ended. The
// site's job status shows it as the computer's last error.
const Interrupted = "interrupted"

// recoverInterrupted deals with the running marks a dead engine left: it
// stops whatever the command left behind and waits until it has gone, then
// stores the run as failed with a history entry and a status saying it was
// interrupted (sent at the next poll). The job is not run again by itself
// unless it is offered again, or it was run before its mandatory time,
// which then still comes. A mark whose processes cannot be stopped stays,
// and the job does not run while they are there.
func (e *Engine) recoverInterrupted(ctx context.Context) error {
	marks, err := e.st.ListRunning(ctx)
	if err != nil {
		return fmt.Errorf("reading running marks: %w", err)
	}
	for _, m := range marks {
		if leftover(m) {
			e.log.Warn("an interrupted run left processes behind; stopping them", "job", m.Job, "pid", m.PID)
			if err := stopLeftover(m); err != nil {
				e.log.Error("an interrupted run's processes are still there; the job does not run until they have gone", "job", m.Job, "err", err)
				e.stuck[m.Job] = m
				continue
			}
		}
		if err := e.storeInterrupted(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

// storeInterrupted records the outcome of the interrupted run m.
func (e *Engine) storeInterrupted(ctx context.Context, m RunningCommand) error {
	now := e.cfg.Now().UTC()
	rec := e.runs[m.Job]
	if rec.Job == "" || rec.Generation < m.Generation {
		rec = RunRecord{Job: m.Job, Generation: m.Generation}
	}
	// A run the user started before the mandatory time may still run at
	// it; any other has had its chance.
	early := !m.DueAt.IsZero() && m.Started.Before(m.DueAt)
	msg := fmt.Sprintf("%s: the client agent stopped while the command ran (started %s", Interrupted, m.Started.Format(time.RFC3339))
	if m.PID > 0 {
		msg += fmt.Sprintf(", process %d", m.PID)
	}
	msg += "); it does not run again by itself until it is offered again"
	if early {
		msg += " or its mandatory time comes"
	}
	h := HistoryEntry{Job: m.Job, Package: m.Package, PackageName: m.PackageName, Command: m.Command,
		Generation: m.Generation, Started: m.Started, Finished: now, State: model.TargetFailed, Error: msg}
	if rec.Generation == m.Generation {
		rec.State = model.TargetFailed
		rec.Attempts = max(rec.Attempts, m.Attempts)
		rec.Ran = rec.Ran || !early
		if enr := e.enr; enr != nil {
			rec.Pending = &protocol.Status{
				Format: protocol.StatusFormat, Job: m.Job, Computer: enr.Computer, Generation: m.Generation,
				State: model.TargetFailed, Attempts: rec.Attempts, Started: m.Started, Finished: now, Error: msg, Written: now,
			}
		}
		if err := e.st.PutRun(ctx, rec); err != nil {
			return fmt.Errorf("recording the interrupted run of job %s: %w", m.Job, err)
		}
		e.runs[m.Job] = rec
	}
	if err := e.st.AddHistory(ctx, h); err != nil {
		return fmt.Errorf("recording the interrupted run of job %s: %w", m.Job, err)
	}
	e.last[m.Job] = h
	if err := e.st.DeleteRunning(ctx, m.Job); err != nil {
		return err
	}
	e.log.Warn("a run was interrupted when the agent stopped; it is reported as interrupted", "job", m.Job, "started", m.Started, "pid", m.PID)
	return nil
}

// leftoverGone refuses to run job while processes of its interrupted run
// are still there, and lets it run once they have gone.
func (e *Engine) leftoverGone(job string) error {
	e.mu.Lock()
	m, ok := e.stuck[job]
	e.mu.Unlock()
	if !ok {
		return nil
	}
	if leftover(m) {
		if err := stopLeftover(m); err != nil {
			return fmt.Errorf("job %s: an interrupted run is still there (%v): %w", job, err, ErrRunning)
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.stuck, job)
	return e.storeInterrupted(context.Background(), m)
}
