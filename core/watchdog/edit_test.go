package watchdog_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"opensms/core/model"
	"opensms/core/watchdog"
)

// loadedStore is the real store with one seam: the first ListJobs after
// arm runs hook once the jobs are read, which is the moment the cycle has
// loaded its copies and not yet saved any.
type loadedStore struct {
	model.Store
	mu   sync.Mutex
	hook func()
}

func (s *loadedStore) arm(hook func()) {
	s.mu.Lock()
	s.hook = hook
	s.mu.Unlock()
}

func (s *loadedStore) ListJobs(ctx context.Context) ([]model.Job, error) {
	jobs, err := s.Store.ListJobs(ctx)
	s.mu.Lock()
	hook := s.hook
	s.hook = nil
	s.mu.Unlock()
	if hook != nil {
		hook()
	}
	return jobs, err
}

// TestPendingEditDuringCycle: an administrator changes two Pending jobs
// after the cycle loaded them and before it activates them. The cycle must
// not save its older copies over the edits: the job moved to tomorrow stays
// Pending for tomorrow, and the job still due keeps its new comment when a
// later cycle activates it.
func TestPendingEditDuringCycle(t *testing.T) {
	r := newRig(t)
	st := &loadedStore{Store: r.st}
	r.log = &syncBuffer{}
	r.svc = watchdog.New(st, r.op, watchdog.Config{Retry: fastRetry,
		Logger: slog.New(slog.NewTextHandler(r.log, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	moved := r.addJob(nil)
	kept := r.addJob(nil)
	later := time.Now().Add(24 * time.Hour).Truncate(time.Second)

	st.arm(func() {
		j := r.job(moved.ID)
		j.Comment, j.Schedule.StartAfter = "moved to tomorrow", later
		if _, err := r.svc.ChangePendingJob(bg, j); err != nil {
			t.Errorf("changing Pending job %s: %v", j.ID, err)
		}
		j = r.job(kept.ID)
		j.Comment = "edited while the cycle ran"
		if _, err := r.svc.ChangePendingJob(bg, j); err != nil {
			t.Errorf("changing Pending job %s: %v", j.ID, err)
		}
	})
	r.runOnce()

	got := r.wantState(moved.ID, model.JobPending)
	if got.Comment != "moved to tomorrow" || !got.Schedule.StartAfter.Equal(later) {
		t.Errorf("job %s has comment %q and starts after %v; the edit said %q and %v", got.ID, got.Comment, got.Schedule.StartAfter, "moved to tomorrow", later)
	}
	if got := r.job(kept.ID); got.Comment != "edited while the cycle ran" {
		t.Errorf("job %s is %s with comment %q: the cycle saved its older copy over the edit", got.ID, got.Status.State, got.Comment)
	}

	// The next cycle activates the edited job as edited, and the moved one
	// not at all.
	r.runOnce()
	if got := r.wantState(kept.ID, model.JobActive); got.Comment != "edited while the cycle ran" {
		t.Errorf("job %s was activated with comment %q, not the edited one", got.ID, got.Comment)
	}
	r.wantState(moved.ID, model.JobPending)
}
