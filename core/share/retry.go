package share

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"time"
)

// RetryPolicy says how often and how patiently Retry tries again.
type RetryPolicy struct {
	// Initial is the longest first wait; each attempt doubles it.
	Initial time.Duration
	// Max caps one wait.
	Max time.Duration
	// MaxAttempts counts every try, the first included.
	MaxAttempts int
}

// Defaults returns a policy for pushing to a share: up to 6 tries over
// roughly a minute.
func Defaults() RetryPolicy {
	return RetryPolicy{Initial: time.Second, Max: 30 * time.Second, MaxAttempts: 6}
}

// Validate refuses a policy that would not try or not wait.
func (p RetryPolicy) Validate() error {
	switch {
	case p.MaxAttempts < 1:
		return fmt.Errorf("retry policy: MaxAttempts is %d; it must be at least 1", p.MaxAttempts)
	case p.Initial <= 0:
		return fmt.Errorf("retry policy: Initial is %v; it must be positive", p.Initial)
	case p.Max < p.Initial:
		return fmt.Errorf("retry policy: Max (%v) is below Initial (%v)", p.Max, p.Initial)
	}
	return nil
}

// Retry runs op until it succeeds, fails for good, ctx ends or the policy's
// attempts are used up. Between attempts it waits a random time between
// zero and Initial·2ⁿ capped at Max ("full jitter"), so that many clients
// that failed together do not come back together.
//
// It does not retry an error IsPermanent reports, nor one naming a file that
// is missing or exists (fs.ErrNotExist, fs.ErrExist) or a name that is
// invalid (fs.ErrInvalid): trying again gives the same answer.
//
// A dead SMB connection stays dead, so op should open the share itself:
//
//	share.Retry(ctx, share.Defaults(), func(ctx context.Context) error {
//		fsys, err := opener.Open(ctx, loc, cred)
//		if err != nil {
//			return err
//		}
//		defer fsys.Close()
//		_, err = share.PutAtomic(ctx, fsys, name, src, size, share.PutOptions{})
//		return err
//	})
func Retry(ctx context.Context, policy RetryPolicy, op func(ctx context.Context) error) error {
	if err := policy.Validate(); err != nil {
		return err
	}
	var err error
	for attempt := 1; ; attempt++ {
		if err = op(ctx); err == nil {
			return nil
		}
		if !retryable(err) || ctx.Err() != nil {
			return err
		}
		if attempt >= policy.MaxAttempts {
			return fmt.Errorf("gave up after %d attempts: %w", attempt, err)
		}
		t := time.NewTimer(backoff(policy, attempt))
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (stopped retrying: %w)", err, context.Cause(ctx))
		case <-t.C:
		}
	}
}

// retryable reports whether trying again might give another answer.
func retryable(err error) bool {
	return !IsPermanent(err) &&
		!errors.Is(err, fs.ErrNotExist) && !errors.Is(err, fs.ErrExist) && !errors.Is(err, fs.ErrInvalid)
}

// backoff is the wait after the given failed attempt (1-based).
func backoff(p RetryPolicy, attempt int) time.Duration {
	ceil := p.Max
	if shift := attempt - 1; shift < 32 {
		if d := p.Initial << shift; d > 0 && d < ceil {
			ceil = d
		}
	}
	return rand.N(ceil + 1)
}
