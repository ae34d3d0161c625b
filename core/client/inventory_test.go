//go:build !windows

package client_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"opensms/core/client"
	"opensms/core/model"
	"opensms/core/protocol"
)

// readInventory reads the computer's inventory file from the site share.
func (s *site) readInventory() (protocol.Inventory, os.FileInfo) {
	s.t.Helper()
	name := filepath.Join(s.dir, protocol.InventoryDir, "PC001.json")
	data, err := os.ReadFile(name)
	if err != nil {
		s.t.Fatal(err)
	}
	fi, err := os.Stat(name)
	if err != nil {
		s.t.Fatal(err)
	}
	inv, err := protocol.DecodeInventory(data)
	if err != nil {
		s.t.Fatal(err)
	}
	return inv, fi
}

// TestInventoryInstalled: the site publishes every package's rules; the
// client reports the IDs of those whose rules hold, none of them offered,
// with its hardware, and rewrites the file only when something changed.
func TestInventoryInstalled(t *testing.T) {
	s := newSite(t)
	present := filepath.Join(s.out, "present.txt")
	if err := os.WriteFile(present, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	rules := protocol.Rules{Site: "S01", Packages: []protocol.PackageRules{
		{Package: "S0100007", Detection: []model.DetectionRule{{Kind: model.RuleFileExists, Path: present}}},
		{Package: "S0100008", Detection: []model.DetectionRule{{Kind: model.RuleFileExists, Path: filepath.Join(s.out, "absent.txt")}}},
		{Package: "S0100009", Detection: []model.DetectionRule{{Kind: model.RuleRegistry, Key: `HKLM\Software\X`}}},
	}}
	data, err := protocol.EncodeRules(s.priv, rules)
	if err != nil {
		t.Fatal(err)
	}
	s.write(protocol.RulesFile, data)
	s.poll()
	inv, fi := s.readInventory()
	if !slices.Equal(inv.Installed, []string{"S0100007"}) {
		t.Fatalf("installed %v, want [S0100007]", inv.Installed)
	}
	if inv.CPUs < 1 || inv.Memory == 0 || inv.Kernel == "" {
		t.Fatalf("hardware missing: cpus %d, memory %d, kernel %q", inv.CPUs, inv.Memory, inv.Kernel)
	}

	// Nothing changed: the file stays as it was, though the clock moved.
	s.clock.Add(time.Minute)
	s.poll()
	if again, fi2 := s.readInventory(); !again.Time.Equal(inv.Time) || !fi2.ModTime().Equal(fi.ModTime()) {
		t.Fatalf("an unchanged inventory was rewritten (time %v, was %v)", again.Time, inv.Time)
	}

	// The rules file is damaged: the last good rules stay.
	s.write(protocol.RulesFile, []byte("{not json"))
	s.clock.Add(time.Minute)
	s.poll()
	if again, _ := s.readInventory(); !slices.Equal(again.Installed, []string{"S0100007"}) {
		t.Fatalf("a damaged rules file changed installed to %v", again.Installed)
	}

	// The package goes away: the next poll reports it.
	if err := os.Remove(present); err != nil {
		t.Fatal(err)
	}
	s.write(protocol.RulesFile, data)
	s.clock.Add(time.Minute)
	s.poll()
	if again, _ := s.readInventory(); len(again.Installed) != 0 || !again.Time.After(inv.Time) {
		t.Fatalf("after removal: installed %v, time %v", again.Installed, again.Time)
	}

	// Rules signed by another key are not believed.
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	forged, _ := protocol.EncodeRules(other, protocol.Rules{Site: "S01", Packages: []protocol.PackageRules{
		{Package: "S0100666", Detection: []model.DetectionRule{{Kind: model.RuleFileExists, Path: s.out}}},
	}})
	s.write(protocol.RulesFile, forged)
	s.clock.Add(client.InventoryRefresh)
	s.poll()
	if again, _ := s.readInventory(); slices.Contains(again.Installed, "S0100666") {
		t.Fatalf("forged rules were evaluated: %v", again.Installed)
	}
}
