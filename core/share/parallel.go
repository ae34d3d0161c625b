package share

import (
	"context"
	"sync"
)

// Parallel calls fn(ctx, i) for every i in [0, n), at most limit at once
// (limit < 1 means 1), and returns when every call has returned. Small
// share operations are round trips: a few in flight on one SMB session
// hide the wait, where one at a time pays it thousands of times per cycle.
//
// Once ctx ends no further call starts, and Parallel returns ctx's error;
// the calls in progress see the same ctx and should stop. fn reports its
// own outcome (into a slice indexed by i, say): the calls are independent,
// so one failure does not stop the others.
func Parallel(ctx context.Context, limit, n int, fn func(ctx context.Context, i int)) error {
	if n <= 0 {
		return ctx.Err()
	}
	limit = max(1, min(limit, n))
	next := make(chan int)
	var wg sync.WaitGroup
	for range limit {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				fn(ctx, i)
			}
		}()
	}
	var err error
feed:
	for i := range n {
		if err = ctx.Err(); err != nil {
			break
		}
		select {
		case next <- i:
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(next)
	wg.Wait()
	return err
}
