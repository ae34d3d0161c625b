//go:build !windows

package admin

import (
	"context"
	"testing"

	adminapi "opensms/core/admin"
	wire "opensms/storage/adminapi"
	"opensms/storage/localapi"
)

// attached serves local as the site service does, on a real socket in dir,
// and returns a client attached to it: the window then works as it does
// when smsadmin finds a running service.
func attached(t testing.TB, local adminapi.API, dir string) adminapi.API {
	t.Helper()
	l, err := localapi.Listen(wire.Address(dir), localapi.ListenConfig{Service: wire.Service})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		served <- localapi.Serve(ctx, l, localapi.ServerConfig{Service: wire.Service, Version: "test", Handler: wire.Handler(local)})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Error(err)
		}
	})
	c, err := wire.Attach(context.Background(), dir, "test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// TestSharedBadInputsAttached drives the shared table through the window
// attached to a site service: the sentences cross the socket whole.
func TestSharedBadInputsAttached(t *testing.T) { testSharedBadInputs(t, attached) }

// TestWatchdogStatusReachesTheJobsWindowAttached: the Jobs window follows
// the watchdog through the site service's Watch stream as it does in
// process.
func TestWatchdogStatusReachesTheJobsWindowAttached(t *testing.T) {
	testWatchdogStatusReachesTheJobsWindow(t, attached)
}
