package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"opensms/core/client"
)

// TestReplayedInstructionsThroughSmsctl is finding 1 of issue 14 as the
// finding did it: save instructions/PC001.ins, cancel the job, run a
// cycle, let the client poll (the offer is gone), put the old file back:
// `smsctl pcm run JOB` ran the cancelled package. Now the client refuses
// the old file as older than the one it accepted, and nothing runs.
func TestReplayedInstructionsThroughSmsctl(t *testing.T) {
	s := newPcmSite(t)
	id := s.job(t, "replayed")
	s.admin.ok("watchdog", "run-once")
	s.client.ok("pcm", "enroll", "--site-share", s.site.URL("SITE"), "--password-env", "SMB_PW", "--name", "PC001", "--trust", s.fp)
	var offers []client.Offer
	s.client.okJSON(&offers, "pcm", "list")
	if len(offers) != 1 || offers[0].Job != id {
		t.Fatalf("pcm list before the cancel: %+v", offers)
	}
	insPath := filepath.Join(s.site.Dir("SITE"), "instructions", "PC001.ins")
	saved, err := os.ReadFile(insPath)
	if err != nil {
		t.Fatal(err)
	}
	s.admin.ok("job", "cancel", id)
	s.admin.ok("watchdog", "run-once")
	s.client.okJSON(&offers, "pcm", "list")
	if len(offers) != 0 {
		t.Fatalf("pcm list after the cancel: %+v", offers)
	}

	if err := os.WriteFile(insPath, saved, 0o644); err != nil {
		t.Fatal(err)
	}
	r := s.client.run("pcm", "run", id)
	if r.code == 0 || !strings.Contains(r.stderr, "an old file was put back on the share") {
		t.Errorf("pcm run of the cancelled job from the replayed file: %s", r)
	}
	if _, err := os.Stat(filepath.Join(s.out, "replayed")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the cancelled package ran (%v)", err)
	}
}
