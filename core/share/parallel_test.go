package share

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

func TestParallel(t *testing.T) {
	for _, tc := range []struct {
		name     string
		limit, n int
	}{
		{"more items than workers", 4, 100},
		{"fewer items than workers", 16, 3},
		{"one at a time", 1, 10},
		{"limit below one means one", 0, 5},
		{"nothing to do", 8, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var inFlight, peak atomic.Int32
			var mu sync.Mutex
			seen := map[int]int{}
			err := Parallel(context.Background(), tc.limit, tc.n, func(_ context.Context, i int) {
				cur := inFlight.Add(1)
				for {
					p := peak.Load()
					if cur <= p || peak.CompareAndSwap(p, cur) {
						break
					}
				}
				mu.Lock()
				seen[i]++
				mu.Unlock()
				inFlight.Add(-1)
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(seen) != tc.n {
				t.Errorf("called for %d items, want %d", len(seen), tc.n)
			}
			for i, c := range seen {
				if c != 1 || i < 0 || i >= tc.n {
					t.Errorf("item %d called %d times", i, c)
				}
			}
			if p := int(peak.Load()); p > max(tc.limit, 1) {
				t.Errorf("%d calls in flight, limit %d", p, tc.limit)
			}
		})
	}
}

// A canceled context starts no further call and is reported.
func TestParallelCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var calls atomic.Int32
	err := Parallel(ctx, 2, 1000, func(ctx context.Context, i int) {
		if calls.Add(1) == 3 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if n := calls.Load(); n >= 1000 {
		t.Errorf("%d calls after cancel; want the feeding to stop", n)
	}
	cancel()
	if err := Parallel(ctx, 2, 5, func(context.Context, int) { t.Error("called after cancel") }); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v on a context already canceled", err)
	}
}
