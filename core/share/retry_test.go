package share

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"testing"
	"time"
)

func TestRetry(t *testing.T) {
	fast := RetryPolicy{Initial: time.Millisecond, Max: 4 * time.Millisecond, MaxAttempts: 4}
	transient := fmt.Errorf("dial: %w", ErrUnreachable)
	for _, tc := range []struct {
		name     string
		errs     []error // returned by successive attempts; nil ends
		attempts int
		want     error
	}{
		{"first try", []error{nil}, 1, nil},
		{"transient then ok", []error{transient, transient, nil}, 3, nil},
		{"gives up", []error{transient, transient, transient, transient, nil}, 4, ErrUnreachable},
		{"auth is permanent", []error{fmt.Errorf("x: %w", ErrAuth), nil}, 1, ErrAuth},
		{"full is permanent", []error{ErrFull, nil}, 1, ErrFull},
		{"missing share is permanent", []error{ErrNoShare, nil}, 1, ErrNoShare},
		{"missing file is not retried", []error{fs.ErrNotExist, nil}, 1, fs.ErrNotExist},
		{"unknown error is retried", []error{errors.New("odd"), nil}, 2, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := 0
			err := Retry(context.Background(), fast, func(context.Context) error {
				n++
				return tc.errs[n-1]
			})
			if n != tc.attempts {
				t.Errorf("%d attempts, want %d", n, tc.attempts)
			}
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestRetryStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	slow := RetryPolicy{Initial: time.Hour, Max: time.Hour, MaxAttempts: 5}
	start := time.Now()
	err := Retry(ctx, slow, func(context.Context) error {
		time.AfterFunc(10*time.Millisecond, cancel)
		return ErrUnreachable
	})
	if !errors.Is(err, ErrUnreachable) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("Retry slept through the cancel")
	}
}

func TestRetryPolicyValidate(t *testing.T) {
	if err := Defaults().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []RetryPolicy{
		{Initial: time.Second, Max: time.Second},
		{Initial: 0, Max: time.Second, MaxAttempts: 1},
		{Initial: time.Second, Max: time.Millisecond, MaxAttempts: 1},
	} {
		if err := p.Validate(); err == nil {
			t.Errorf("%+v passed Validate", p)
		}
		if err := Retry(context.Background(), p, func(context.Context) error { return nil }); err == nil {
			t.Errorf("Retry ran with %+v", p)
		}
	}
}

func TestBackoffFullJitter(t *testing.T) {
	p := RetryPolicy{Initial: 100 * time.Millisecond, Max: time.Second, MaxAttempts: 10}
	for attempt, ceil := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 4: 800 * time.Millisecond, 5: time.Second, 80: time.Second} {
		var maxSeen time.Duration
		for range 200 {
			d := backoff(p, attempt)
			if d < 0 || d > ceil {
				t.Fatalf("backoff(%d) = %v, outside [0, %v]", attempt, d, ceil)
			}
			maxSeen = max(maxSeen, d)
		}
		if maxSeen < ceil/2 {
			t.Errorf("backoff(%d) never above %v of %v: not full jitter", attempt, maxSeen, ceil)
		}
	}
}
