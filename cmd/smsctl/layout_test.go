package main

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"opensms/core/client"
	"opensms/core/protocol"
)

// TestInstructionLayoutsEndToEnd, over real Samba with the real watchdog
// and client: the sharded layout from enrolment to the result; the same
// client on a share laid out flat (as an older watchdog writes it) and on
// one holding both (the sharded file wins); a replayed older file refused
// in either place; a tampered file refused; the next cycle puts the file
// back where it belongs, and the job runs to its result.
func TestInstructionLayoutsEndToEnd(t *testing.T) {
	s := newPcmSite(t)
	id := s.job(t, "sharded")
	s.admin.ok("watchdog", "run-once")
	sharded, _ := protocol.InstructionsPathIn(protocol.LayoutSharded, "PC001")
	flat, _ := protocol.InstructionsPathIn(protocol.LayoutFlat, "PC001")
	shardedAt := filepath.Join(s.site.Dir("SITE"), filepath.FromSlash(sharded))
	flatAt := filepath.Join(s.site.Dir("SITE"), filepath.FromSlash(flat))
	if _, err := os.Stat(flatAt); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a computer no client spoke for got a flat file (%v)", err)
	}
	first, err := os.ReadFile(shardedAt)
	if err != nil {
		t.Fatalf("no sharded instruction file: %v", err)
	}

	// Enrol, offer, run, report.
	s.client.ok("pcm", "enroll", "--site-share", s.site.URL("SITE"), "--password-env", "SMB_PW", "--name", "PC001", "--trust", s.fp)
	var offers []client.Offer
	s.client.okJSON(&offers, "pcm", "list")
	if len(offers) != 1 || offers[0].Job != id {
		t.Fatalf("pcm list from the sharded file: %+v", offers)
	}
	s.client.ok("pcm", "run", id)
	s.complete(t, id, "sharded")

	// The client's inventory says it reads the sharded layout: the
	// watchdog keeps writing there, never flat.
	if _, err := os.Stat(flatAt); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a flat file appeared for a client that reads the sharded layout (%v)", err)
	}

	// A share laid out flat, as an older watchdog writes it: the newest
	// file moved there is read.
	id2 := s.job(t, "flat")
	s.admin.ok("watchdog", "run-once")
	cur, err := os.ReadFile(shardedAt)
	if err != nil {
		t.Fatal(err)
	}
	must(t, os.WriteFile(flatAt, cur, 0o644))
	must(t, os.Remove(shardedAt))
	s.client.okJSON(&offers, "pcm", "list")
	if len(offers) != 1 || offers[0].Job != id2 {
		t.Fatalf("pcm list from the flat file: %+v", offers)
	}

	// Replayed: the first file, older than the one accepted, in either
	// place; with both present the sharded one is read, and refused.
	for _, at := range []string{flatAt, shardedAt} {
		must(t, os.WriteFile(at, first, 0o644))
		r := s.client.run("pcm", "list")
		if r.code == 0 || !strings.Contains(r.stderr, "an old file was put back on the share") {
			t.Errorf("pcm list with the first file put back at %s: %s", at, r)
		}
	}

	// Tampered, in the sharded place (the flat one holds a good file).
	must(t, os.WriteFile(flatAt, cur, 0o644))
	bad := bytes.Clone(cur)
	i := bytes.Index(bad, []byte(`"payload": "`)) + len(`"payload": "`)
	bad[i] ^= 1
	must(t, os.WriteFile(shardedAt, bad, 0o644))
	if r := s.client.run("pcm", "list"); r.code == 0 || !strings.Contains(r.stderr, "instructions refused") {
		t.Errorf("pcm list with a tampered sharded file: %s", r)
	}

	// The next cycle puts the site's file back where it belongs and
	// removes the flat one; the client reads it again.
	s.admin.ok("watchdog", "run-once")
	if _, err := os.Stat(flatAt); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the flat file is still there after a cycle (%v)", err)
	}
	s.client.ok("pcm", "run", id2)
	s.complete(t, id2, "flat")
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
