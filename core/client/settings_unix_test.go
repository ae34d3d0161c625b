//go:build unix

package client_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"opensms/core/client"
	"opensms/core/model"
	"opensms/core/protocol"
)

// Unenrolling forgets the site and withdraws its offers, keeps the history
// and the computer's key, and is refused while a command runs.
func TestUnenroll(t *testing.T) {
	ctx := context.Background()
	s := newSite(t)
	gate := filepath.Join(s.out, "go")
	a := s.packScript("while [ ! -e " + gate + " ]; do sleep 0.05; done\n")
	s.distribute(0, a)
	s.instruct(s.offer("S0100010", a, nil))
	s.poll()
	before, _ := s.eng.Enrolled()

	ran := make(chan error, 1)
	go func() { _, err := s.eng.Run(ctx, "S0100010", nil); ran <- err }()
	for o := find(s.eng.Offers(), "S0100010"); o == nil || o.State != client.OfferRunning; o = find(s.eng.Offers(), "S0100010") {
		time.Sleep(10 * time.Millisecond)
	}
	_, err := s.eng.Unenroll(ctx)
	if !errors.Is(err, client.ErrRunning) || err.Error() != "not unenrolled: job S0100010 is running; unenrol once it has ended" {
		t.Fatalf("unenrol while a command runs: %v", err)
	}
	if _, ok := s.eng.Enrolled(); !ok {
		t.Fatal("the refused unenrol forgot the enrolment")
	}
	os.WriteFile(gate, nil, 0o644)
	if err := <-ran; err != nil {
		t.Fatal(err)
	}

	old, err := s.eng.Unenroll(ctx)
	if err != nil || old.Fingerprint != before.Fingerprint {
		t.Fatalf("unenrol: %+v, %v", old, err)
	}
	if offers := s.eng.Offers(); len(offers) != 0 {
		t.Errorf("offers after unenrol: %+v", offers)
	}
	if _, err := s.eng.Poll(ctx); !errors.Is(err, client.ErrNotEnrolled) {
		t.Errorf("poll after unenrol: %v", err)
	}
	if _, err := s.eng.Unenroll(ctx); !errors.Is(err, client.ErrNotEnrolled) {
		t.Errorf("second unenrol: %v", err)
	}
	s.open() // restart: still not enrolled, nothing offered, history kept
	if enr, ok := s.eng.Enrolled(); ok {
		t.Fatalf("enrolled after restart: %+v", enr)
	}
	if offers := s.eng.Offers(); len(offers) != 0 {
		t.Errorf("offers after restart: %+v", offers)
	}
	if hs, err := s.eng.History(ctx); err != nil || len(hs) != 1 || hs[0].Job != "S0100010" {
		t.Errorf("history after unenrol: %+v, %v", hs, err)
	}
	// Enrolling again keeps the key the site registered.
	fp := protocol.Fingerprint(s.priv.Public().(ed25519.PublicKey))
	again, err := s.eng.Enroll(ctx, s.dir, model.Credentials{}, "PC001", fp)
	if err != nil || !again.Key.Equal(before.Key) {
		t.Fatalf("enrolling again: key kept %v, %v", again.Key.Equal(before.Key), err)
	}
}

// Settings change with a sentence naming a bad field, outlast a restart,
// and win over the config they started with.
func TestChangeSettings(t *testing.T) {
	ctx := context.Background()
	s := newSite(t)
	want := client.Settings{Interval: client.DefaultInterval, DeferFor: time.Hour}
	if got := s.eng.Settings(); got != want {
		t.Fatalf("settings at start: %+v", got)
	}
	neg, long := -time.Minute, 40*24*time.Hour
	for _, c := range []struct {
		ch   client.SettingsChange
		want string
	}{
		{client.SettingsChange{Interval: &neg}, "settings not changed: interval -1m0s must be positive"},
		{client.SettingsChange{DeferFor: &long}, "settings not changed: defer-for 960h0m0s is longer than 720h0m0s"},
		{client.SettingsChange{}, "settings not changed: no setting to change was given (interval, defer-for, slow-link)"},
	} {
		if _, err := s.eng.ChangeSettings(ctx, c.ch); !errors.Is(err, model.ErrInvalid) || err.Error() != c.want {
			t.Errorf("change %+v: %v", c.ch, err)
		}
	}
	if got := s.eng.Settings(); got != want {
		t.Fatalf("a refused change changed the settings: %+v", got)
	}
	three, yes := 3*time.Hour, true
	got, err := s.eng.ChangeSettings(ctx, client.SettingsChange{DeferFor: &three, SlowLink: &yes})
	want = client.Settings{Interval: client.DefaultInterval, DeferFor: three, SlowLink: true}
	if err != nil || got != want {
		t.Fatalf("change: %+v, %v", got, err)
	}
	s.open() // the config says one hour and no slow link; the change wins
	if got := s.eng.Settings(); got != want {
		t.Errorf("after restart: %+v", got)
	}
	// Later uses the new length.
	a := s.packScript("exit 0\n")
	s.instruct(s.offer("S0100010", a, func(o *protocol.Offer) { o.MandatoryAfter = s.clock.Now(); o.Deferrals = 1 }))
	s.poll()
	if _, err := s.eng.Defer(ctx, "S0100010"); err != nil {
		t.Fatal(err)
	}
	if o := find(s.eng.Offers(), "S0100010"); o == nil || !o.DueAt.Equal(s.clock.Now().Add(three)) {
		t.Errorf("deferred by the setting: %+v", o)
	}
}
