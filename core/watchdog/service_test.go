package watchdog_test

import (
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"opensms/core/model"
	"opensms/core/watchdog"
	"opensms/storage/badgerstore"
	"opensms/storage/shares"
)

func TestConfigDefaultsAndValidate(t *testing.T) {
	c := watchdog.Config{}.Defaults("/data")
	if c.Interval != watchdog.DefaultInterval || c.Concurrency != watchdog.DefaultConcurrency || c.ArchiveDir != "/data/archives" || c.Now == nil || c.Logger == nil || c.Retry != watchdog.DefaultRetry {
		t.Errorf("defaults %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("defaults do not validate: %v", err)
	}
	cases := []struct {
		edit func(*watchdog.Config)
		want string
	}{
		{func(c *watchdog.Config) { c.Interval = time.Millisecond }, "interval"},
		{func(c *watchdog.Config) { c.Concurrency = -1 }, "concurrency"},
		{func(c *watchdog.Config) { c.Concurrency = 1000 }, "concurrency"},
		{func(c *watchdog.Config) { c.ArchiveDir = "" }, "archive directory"},
		{func(c *watchdog.Config) { c.ArchiveDir = "archives" }, "absolute"},
		{func(c *watchdog.Config) { c.Retry.MaxAttempts = 0 }, "retry"},
	}
	for _, tc := range cases {
		bad := c
		tc.edit(&bad)
		if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate = %v, want it to name %q", err, tc.want)
		}
	}
}

// Start and Stop are safe twice; a cycle runs at Start and on Wake; a
// subscriber that never reads does not block the service; nothing is left
// running after Stop. A local-folder site share keeps this test fast.
func TestServiceLifecycle(t *testing.T) {
	st, err := badgerstore.Open(filepath.Join(t.TempDir(), "store"), badgerstore.Options{})
	must(t, err)
	defer st.Close()
	must(t, st.PutSite(bg, model.Site{Code: siteCode, Name: "Local", Share: "file://" + t.TempDir()}))
	before := runtime.NumGoroutine()

	svc := watchdog.New(st, shares.NewOpener(), watchdog.Config{Interval: time.Hour})
	if !svc.NextCycle().IsZero() {
		t.Error("NextCycle before Start")
	}
	_, stopSlow := svc.Subscribe(1) // never read
	updates, stop := svc.Subscribe(1000)
	cycleEnd := func() {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for {
			select {
			case u := <-updates:
				if u.Kind == watchdog.UpdateCycle && u.Cycle.Duration > 0 {
					if u.Cycle.Err != "" {
						t.Errorf("cycle error: %s", u.Cycle.Err)
					}
					return
				}
			case <-deadline:
				t.Fatal("no cycle ended")
			}
		}
	}
	must(t, svc.Start(bg))
	must(t, svc.Start(bg))
	cycleEnd()
	time.Sleep(10 * time.Millisecond)
	if next := svc.NextCycle(); next.Before(time.Now().Add(50 * time.Minute)) {
		t.Errorf("NextCycle = %v, want about an hour from now", next)
	}
	svc.Wake()
	cycleEnd()
	must(t, svc.Stop(bg))
	must(t, svc.Stop(bg))
	if !svc.NextCycle().IsZero() {
		t.Error("NextCycle after Stop")
	}
	// A stopped service starts again.
	must(t, svc.Start(bg))
	cycleEnd()
	must(t, svc.Stop(bg))
	stop()
	stop()
	stopSlow()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after Stop, %d before Start", n, before)
	}
}
