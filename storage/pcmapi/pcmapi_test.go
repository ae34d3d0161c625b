package pcmapi_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"opensms/core/client"
	"opensms/core/model"
	"opensms/storage/clientstore"
	"opensms/storage/localapi"
	"opensms/storage/pcmapi"
	"opensms/storage/shares"
)

// serve runs a real engine (not enrolled) over a real store behind the PCM
// API on a real socket, and returns a client attached to it.
func serve(t *testing.T, version string) (*client.Engine, *pcmapi.Client) {
	t.Helper()
	dir, err := os.MkdirTemp("", "pcmapi-") // a short path: Unix sockets are limited to 103 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	st, err := clientstore.Open(filepath.Join(dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	eng, err := client.New(client.Config{DataDir: filepath.Join(dir, "data"), Computer: "PC001", Opener: shares.NewOpener()}, st)
	if err != nil {
		t.Fatal(err)
	}
	l, err := localapi.Listen(pcmapi.Address(dir), localapi.ListenConfig{Public: true, Service: pcmapi.Service})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- localapi.Serve(ctx, l, localapi.ServerConfig{Service: pcmapi.Service, Version: "1", Handler: pcmapi.Handler(ctx, eng)})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	c, err := pcmapi.Attach(context.Background(), dir, version)
	if version != "1" {
		if err == nil || localapi.KindOf(err) != localapi.KindVersion {
			t.Fatalf("attaching as version %s: %v", version, err)
		}
		return eng, nil
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return eng, c
}

// The engine's errors come back over the socket with the engine's sentence
// and wrapping the engine's error, so that callers check them as
// in-process.
func TestErrorsKeepTheirKind(t *testing.T) {
	eng, c := serve(t, "1")
	ctx := context.Background()
	if _, ok := c.Enrolled(); ok {
		t.Fatal("enrolled")
	}
	_, embedded := eng.Poll(ctx)
	_, err := c.Poll(ctx)
	if !errors.Is(err, client.ErrNotEnrolled) || err.Error() != embedded.Error() {
		t.Errorf("poll: %v; in-process: %v", err, embedded)
	}
	if _, err := c.Run(ctx, "S0100010", nil); !errors.Is(err, client.ErrNotEnrolled) {
		t.Errorf("run: %v", err)
	}
	if _, err := c.Defer(ctx, "S0100010"); !errors.Is(err, client.ErrNotOffered) || !strings.Contains(err.Error(), "S0100010") {
		t.Errorf("defer: %v", err)
	}
	// Enrolling through the socket works for the agent's own user; a
	// fingerprint that is missing is refused as in-process.
	if _, err := c.Enroll(ctx, "file:///nonexistent", model.Credentials{}, "PC001", ""); !errors.Is(err, client.ErrUntrustedKey) {
		t.Errorf("enroll without a fingerprint: %v", err)
	}
	if hs, err := c.History(ctx); err != nil || len(hs) != 0 {
		t.Errorf("history: %v, %v", hs, err)
	}
	if offers := c.Offers(); len(offers) != 0 {
		t.Errorf("offers: %+v", offers)
	}
	// Unenrol and the settings, for the agent's own user, as in-process.
	_, embedded = eng.Unenroll(ctx)
	if _, err := c.Unenroll(ctx); !errors.Is(err, client.ErrNotEnrolled) || err.Error() != embedded.Error() {
		t.Errorf("unenroll: %v; in-process: %v", err, embedded)
	}
	neg := -time.Second
	_, embedded = eng.ChangeSettings(ctx, client.SettingsChange{Interval: &neg})
	if _, err := c.ChangeSettings(ctx, client.SettingsChange{Interval: &neg}); !errors.Is(err, model.ErrInvalid) || err.Error() != embedded.Error() {
		t.Errorf("change settings: %v; in-process: %v", err, embedded)
	}
	yes := true
	if set, err := c.ChangeSettings(ctx, client.SettingsChange{SlowLink: &yes}); err != nil || !set.SlowLink || c.Settings() != eng.Settings() {
		t.Errorf("change settings: %+v, %v; the agent's: %+v", set, err, eng.Settings())
	}
}

func TestAnotherVersionIsRefused(t *testing.T) {
	serve(t, "2")
}
