package admin_test

import (
	"context"
	"testing"
	"time"

	"opensms/core/admin/admintest"
)

// TestWatchCarriesRecordChanges: what an Administrator adds, changes or
// deletes reaches every watcher, and what the API refuses does not.
func TestWatchCarriesRecordChanges(t *testing.T) {
	r := newRig(t)
	// The bound makes a missing change fail rather than hang; it is not a
	// timing assertion.
	ctx, cancel := context.WithTimeout(bg, time.Minute)
	defer cancel()
	if err := admintest.WatchRecords(ctx, r.api, r.fx); err != nil {
		t.Fatal(err)
	}
}
