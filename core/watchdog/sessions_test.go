package watchdog_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"opensms/core/model"
	"opensms/core/share"
	"opensms/storage/shares"
)

// connCounter counts the connections made to each share and those closed.
type connCounter struct {
	share.Opener
	mu             sync.Mutex
	opened, closed map[string]int
}

func newConnCounter() *connCounter {
	return &connCounter{Opener: shares.NewOpener(), opened: map[string]int{}, closed: map[string]int{}}
}

func (c *connCounter) Open(ctx context.Context, loc model.Location, cred model.Credentials) (share.FS, error) {
	fsys, err := c.Opener.Open(ctx, loc, cred)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.opened[loc.Share]++
	c.mu.Unlock()
	return &countedFS{FS: fsys, c: c, name: loc.Share}, nil
}

func (c *connCounter) counts(name string) (opened, closed int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.opened[name], c.closed[name]
}

type countedFS struct {
	share.FS
	c    *connCounter
	name string
	once sync.Once
}

func (f *countedFS) Close() error {
	f.once.Do(func() {
		f.c.mu.Lock()
		f.c.closed[f.name]++
		f.c.mu.Unlock()
	})
	return f.FS.Close()
}

// The jobs of a cycle that go to the same server take the connection the
// one before left, instead of connecting each anew; every connection is
// closed when the cycle ends. A connection whose operation failed is not
// kept: the retry connects anew and succeeds.
func TestDistributionKeepsConnectionsForTheCycle(t *testing.T) {
	r := newRig(t)
	c := newConnCounter()
	r.op.Opener = c
	var ids []string
	for range 4 {
		ids = append(ids, r.addJob(nil).ID)
	}
	r.runOnce()
	for _, id := range ids {
		if j := r.wantState(id, model.JobActive); j.Status.Working != model.PhaseComplete {
			t.Fatalf("job %s after one cycle: %+v", id, j.Status)
		}
	}
	r.wantArchiveOnServers(r.pkg.ID, r.job(ids[0]).Status.Archive, "DIST1", "DIST2")
	if opened, closed := c.counts("DIST2"); opened != 1 || closed != 1 {
		t.Fatalf("4 jobs on DIST2: %d connections made, %d closed; want 1 and 1", opened, closed)
	}
	for _, name := range []string{"SITE", "DIST1"} {
		if opened, closed := c.counts(name); opened != closed {
			t.Fatalf("%s: %d connections made, %d closed after the cycle", name, opened, closed)
		}
	}

	// A new package version: the first push to DIST2 fails once.
	r2 := newRig(t)
	c2 := newConnCounter()
	r2.op.Opener = c2
	r2.op.failOnce("DIST2", 1, fmt.Errorf("connection reset: %w", share.ErrUnreachable))
	j := r2.addJob(nil)
	r2.addJob(nil)
	r2.sentAndDistributed(j.ID)
	if opened, closed := c2.counts("DIST2"); opened != 2 || closed != 2 {
		t.Fatalf("a push that failed once on DIST2: %d connections made, %d closed; want 2 and 2 (the broken one not kept)", opened, closed)
	}
}
