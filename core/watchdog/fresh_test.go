package watchdog_test

import (
	"sync"
	"testing"
	"time"

	"opensms/core/protocol"
	"opensms/core/watchdog"
)

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// TestInstructionsSignedAgainInTime: every instruction file carries a
// number that grows and a validity; the watchdog leaves a file alone while
// its offers and validity hold, and signs it again, numbered higher, once
// a third of its validity has passed, also after a restart.
func TestInstructionsSignedAgainInTime(t *testing.T) {
	r := newRig(t)
	clock := &testClock{t: time.Now()}
	r.service(watchdog.Config{Now: clock.Now})
	r.addJob(nil)
	r.runOnce()
	first := r.instructions("PC001")
	if first.Sequence == 0 || !first.ValidUntil.After(clock.Now().Add(protocol.DefaultValidity-time.Minute)) || len(first.Offers) != 1 {
		t.Fatalf("first file: number %d, valid until %v, %d offers", first.Sequence, first.ValidUntil, len(first.Offers))
	}
	clock.Add(time.Hour)
	r.runOnce()
	if again := r.instructions("PC001"); again.Sequence != first.Sequence {
		t.Errorf("a file whose offers and validity hold was signed again (number %d, was %d)", again.Sequence, first.Sequence)
	}
	clock.Add(protocol.DefaultValidity / 3)
	r.runOnce()
	second := r.instructions("PC001")
	if second.Sequence <= first.Sequence || !second.ValidUntil.After(first.ValidUntil) ||
		protocol.InstructionsDigest(second) != protocol.InstructionsDigest(first) {
		t.Fatalf("after a third of the validity: number %d (was %d), valid until %v (was %v)", second.Sequence, first.Sequence, second.ValidUntil, first.ValidUntil)
	}

	// A restarted watchdog whose clock stepped back still numbers higher.
	clock.Add(-2 * time.Hour)
	r.service(watchdog.Config{Now: clock.Now})
	r.runOnce()
	if got := r.instructions("PC001"); got.Sequence != second.Sequence {
		t.Errorf("the restarted watchdog signed a file that was still good (number %d, was %d)", got.Sequence, second.Sequence)
	}
	clock.Add(protocol.DefaultValidity / 2)
	r.runOnce()
	if got := r.instructions("PC001"); got.Sequence <= second.Sequence {
		t.Errorf("number %d after signing again, not above %d", got.Sequence, second.Sequence)
	}
}
