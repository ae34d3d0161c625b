//go:build !windows

package client_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"opensms/core/client"
	"opensms/storage/clientstore"
	"opensms/storage/shares"
)

// TestPlantedCacheIsNotRun is finding 5 of issue 14: the client reused an
// unpacked tree on the strength of its .ok marker, so whoever could write
// the cache planted install.sh and a marker and had it run (as root, under
// the agent). Now the tree must match, file for file, the list this
// computer signed when it unpacked the verified archive; otherwise it is
// unpacked again from the archive, and the planted script never runs.
func TestPlantedCacheIsNotRun(t *testing.T) {
	ctx := context.Background()
	s := newSite(t)
	genuine, planted := filepath.Join(s.out, "genuine"), filepath.Join(s.out, "planted")
	a := s.packScript(fmt.Sprintf("echo x >> %s\n", genuine))
	s.distribute(0, a)
	s.instruct(s.offer("S0100010", a, nil))
	s.poll()
	if _, err := s.eng.Run(ctx, "S0100010", nil); err != nil {
		t.Fatal(err)
	}
	root := s.cacheDir(a)
	script, err := filepath.Glob(filepath.Join(root, "*.sh"))
	if err != nil || len(script) != 1 {
		t.Fatalf("unpacked scripts: %v %v", script, err)
	}
	// The attacker's script, and a marker as the old client wrote it.
	os.WriteFile(script[0], []byte(fmt.Sprintf("echo x >> %s\n", planted)), 0o755)
	mark, _ := json.Marshal(map[string]any{"archive": a.sha, "size": a.size, "unpacked": time.Now()})
	os.WriteFile(root+".ok", mark, 0o600)

	h, err := s.eng.Run(ctx, "S0100010", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(planted); err == nil {
		t.Fatal("the planted script ran")
	}
	if b, _ := os.ReadFile(genuine); strings.Count(string(b), "x") != 2 || h.Server == "" {
		t.Errorf("the genuine package did not run again from a fresh download (ran %q, server %q)", b, h.Server)
	}
	// A third run uses the tree as it is: it matches what was unpacked.
	if h, err := s.eng.Run(ctx, "S0100010", nil); err != nil || h.Server != "" {
		t.Errorf("third run: server %q (want the cache), %v", h.Server, err)
	}
}

// TestCacheOthersCanWriteIsRefused: a data or cache folder other users can
// write is refused with a sentence naming it and the fix.
func TestCacheOthersCanWriteIsRefused(t *testing.T) {
	s := newSite(t)
	cache := filepath.Join(s.data, "cache")
	if err := os.Chmod(cache, 0o777); err != nil {
		t.Fatal(err)
	}
	s.st.Close()
	st, err := clientstore.Open(s.data)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_, err = client.New(client.Config{DataDir: s.data, Computer: "PC001", Platform: here, Opener: shares.NewOpener()}, st)
	want := "the package cache " + cache + " can be changed by other users (mode 0777), who could plant what this computer runs: run chmod go-w " + cache
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("New with a cache others can write: %v\nwant %q", err, want)
	}
}
