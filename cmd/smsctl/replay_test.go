package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"opensms/core/client"
	"opensms/core/protocol"
)

// TestReplayedInstructionsThroughSmsctl is finding 1 of issue 14 as the
// finding did it: save PC001's instruction file, cancel the job, run a
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
	name, _ := protocol.InstructionsPath("PC001")
	insPath := filepath.Join(s.site.Dir("SITE"), filepath.FromSlash(name))
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

// TestComputerApprove: a computer that joined by itself (its client wrote
// its inventory without an administrator adding it) is listed as awaiting
// approval, gets no offers, and is approved with smsctl computer approve.
func TestComputerApprove(t *testing.T) {
	s := newPcmSite(t)
	s.admin.ok("watchdog", "run-once") // publishes site.json
	s.client.ok("pcm", "enroll", "--site-share", s.site.URL("SITE"), "--password-env", "SMB_PW", "--name", "PC777", "--trust", s.fp)
	src := t.TempDir()
	os.WriteFile(filepath.Join(src, "install.sh"), []byte("echo installed\n"), 0o644)
	pkg := strings.TrimSpace(s.admin.ok("package", "add", "--name", "Hello", "--version", "1.0", "--source", src,
		"--command-name", "Install", "--command", "sh install.sh", "--platform", runtime.GOOS+"/"+runtime.GOARCH, "--automated"))
	pkgJob := strings.TrimSpace(s.admin.ok("job", "add", "--package", pkg, "--target", "site:S01"))
	s.admin.ok("watchdog", "run-once")
	if out := s.admin.ok("computer", "list"); !strings.Contains(out, "PC777") || !strings.Contains(out, "(awaiting approval)") {
		t.Fatalf("computer list:\n%s", out)
	}
	var offers []client.Offer
	s.client.okJSON(&offers, "pcm", "list")
	if len(offers) != 0 {
		t.Fatalf("a computer awaiting approval was offered %+v", offers)
	}
	if r := s.admin.run("computer", "approve", "PC001"); r.code != 2 || !strings.Contains(r.stderr, "is not awaiting approval") {
		t.Errorf("approving a computer the administrator added: %s", r)
	}
	s.admin.ok("computer", "approve", "pc777")
	s.admin.ok("watchdog", "run-once")
	s.client.okJSON(&offers, "pcm", "list")
	if len(offers) != 1 || offers[0].Job != pkgJob {
		t.Fatalf("after approval: %+v", offers)
	}
}
