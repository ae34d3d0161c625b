package watchdog_test

import (
	"bytes"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"opensms/core/model"
	"opensms/core/protocol"
	"opensms/core/share"
	"opensms/core/watchdog"
	"opensms/storage/shares"
)

// inventoryOf writes computer's signed inventory as a client that reads
// instruction files in layout would (0: an older client, which says none).
func (r *rig) inventoryOf(computer string, layout int, at time.Time) {
	r.t.Helper()
	data, err := protocol.EncodeInventory(computerKey(computer), protocol.Inventory{Format: protocol.InventoryFormat,
		Inventory: model.Inventory{Computer: computer, Site: siteCode, OS: "linux", Arch: "amd64", ClientVersion: "1", Time: at, InstructionsLayout: layout}})
	must(r.t, err)
	name, _ := protocol.InventoryPath(computer)
	must(r.t, share.WriteFileAtomic(bg, r.siteFS(), name, data))
}

// insIn reads and verifies computer's instruction file in layout; ok is
// false when there is none there.
func (r *rig) insIn(layout int, computer string) (ins protocol.Instructions, ok bool) {
	r.t.Helper()
	name, err := protocol.InstructionsPathIn(layout, computer)
	must(r.t, err)
	data, err := os.ReadFile(filepath.Join(r.smb.Dir("SITE"), filepath.FromSlash(name)))
	if os.IsNotExist(err) {
		return ins, false
	}
	must(r.t, err)
	priv, err := r.st.SiteKey(bg, siteCode)
	must(r.t, err)
	ins, err = protocol.DecodeInstructions(priv.Public().(ed25519.PublicKey), data)
	if err != nil {
		r.t.Fatalf("%s does not verify: %v", name, err)
	}
	return ins, true
}

// wantOnlyIn fails unless computer's file is in layout, and not in the
// other; it returns the file.
func (r *rig) wantOnlyIn(layout int, computer string) protocol.Instructions {
	r.t.Helper()
	other := map[int]int{protocol.LayoutFlat: protocol.LayoutSharded, protocol.LayoutSharded: protocol.LayoutFlat}[layout]
	ins, ok := r.insIn(layout, computer)
	if !ok {
		r.t.Fatalf("%s has no instruction file in layout %d", computer, layout)
	}
	if _, ok := r.insIn(other, computer); ok {
		r.t.Fatalf("%s still has an instruction file in layout %d", computer, other)
	}
	return ins
}

// The sharded layout and the way between layouts, on real Samba: a
// computer whose client never said what it reads gets the sharded file;
// one whose inventory came from an older client (no layout) gets the flat
// file, and moves to the sharded one when its client says it reads it
// (and back), each time with a higher number and the same offers, the
// other file removed. A computer that left has its file emptied where it
// is. A file planted where a shard folder belongs is removed.
func TestInstructionLayouts(t *testing.T) {
	r := newRig(t)
	t0 := time.Now().Add(-time.Minute)
	r.inventoryOf("PC001", 0, t0) // an older client
	j := r.addJob(nil)
	r.runOnce()

	flat := r.wantOnlyIn(protocol.LayoutFlat, "PC001")
	if len(flat.Offers) != 1 || flat.Offers[0].Job != j.ID {
		t.Fatalf("PC001's flat file offers %+v", flat.Offers)
	}
	sharded := r.wantOnlyIn(protocol.LayoutSharded, "PC002")
	if len(sharded.Offers) != 1 || sharded.Offers[0].Job != j.ID {
		t.Fatalf("PC002's sharded file offers %+v", sharded.Offers)
	}
	shard, _ := protocol.InstructionsShard("PC002")
	if _, err := os.Stat(filepath.Join(r.smb.Dir("SITE"), "instructions", shard, "PC002.ins")); err != nil {
		t.Fatalf("PC002's file is not in its shard: %v", err)
	}

	// PC001's client is updated: it says so in its next inventory.
	r.inventoryOf("PC001", protocol.LayoutSharded, t0.Add(time.Second))
	r.runOnce()
	moved := r.wantOnlyIn(protocol.LayoutSharded, "PC001")
	if moved.Sequence <= flat.Sequence || protocol.InstructionsDigest(moved) != protocol.InstructionsDigest(flat) {
		t.Fatalf("moved file: number %d after %d, offers %+v", moved.Sequence, flat.Sequence, moved.Offers)
	}
	// And put back to the older version.
	r.inventoryOf("PC001", 0, t0.Add(2*time.Second))
	r.runOnce()
	back := r.wantOnlyIn(protocol.LayoutFlat, "PC001")
	if back.Sequence <= moved.Sequence || len(back.Offers) != 1 {
		t.Fatalf("file moved back: number %d after %d, offers %+v", back.Sequence, moved.Sequence, back.Offers)
	}

	// PC002 leaves the site; a file is planted where a shard belongs.
	must(t, r.st.DeleteComputer(bg, "PC002"))
	writeFile(t, filepath.Join(r.smb.Dir("SITE"), "instructions", "0a"), []byte("in the way"))
	r.runOnce()
	if left := r.wantOnlyIn(protocol.LayoutSharded, "PC002"); len(left.Offers) != 0 || left.Sequence <= sharded.Sequence {
		t.Fatalf("the file of a computer that left: number %d, offers %+v", left.Sequence, left.Offers)
	}
	if fi, err := os.Stat(filepath.Join(r.smb.Dir("SITE"), "instructions", "0a")); err == nil && !fi.IsDir() {
		t.Fatal("the file planted at instructions/0a is still there")
	}
	r.wantEventText("removed a file planted at instructions/0a")
	r.noTemps("SITE")
}

// A watchdog restarted after an update reads the index an older version
// kept (no layouts: every file flat) and trusts it for the flat files
// still listed as they were: it reads none back and rewrites none.
func TestInstructionIndexBeforeLayouts(t *testing.T) {
	r := newRig(t)
	r.inventoryOf("PC001", 0, time.Now().Add(-time.Minute))
	r.inventoryOf("PC002", 0, time.Now().Add(-time.Minute))
	r.addJob(nil)
	r.runOnce()
	r.runOnce() // the index learns the files' times from this listing
	index := filepath.Join(r.st.Dir(), "watchdog", "instructions.json")
	data, err := os.ReadFile(index)
	must(t, err)
	old := regexp.MustCompile(`,"layout":1`).ReplaceAll(data, nil)
	if bytes.Equal(old, data) || bytes.Contains(old, []byte("layout")) {
		t.Fatalf("the index does not name the flat layout as expected: %s", data)
	}
	must(t, os.WriteFile(index, old, 0o600))
	name, _ := protocol.InstructionsPathIn(protocol.LayoutFlat, "PC001")
	before, err := os.Stat(filepath.Join(r.smb.Dir("SITE"), name))
	must(t, err)

	counter := &countingOpener{Opener: shares.NewOpener(), n: map[string]int{}, d: map[string]time.Duration{}}
	r.op = &faultOpener{Opener: counter}
	r.service(watchdog.Config{})
	r.runOnce()
	if got := counter.n["open instructions"]; got != 0 {
		t.Errorf("the restarted watchdog opened %d instruction files, want none (%s)", got, counter.summary())
	}
	after, err := os.Stat(filepath.Join(r.smb.Dir("SITE"), name))
	must(t, err)
	if !after.ModTime().Equal(before.ModTime()) {
		t.Error("a flat file the old index knew was rewritten after the restart")
	}
}

// A shard folder is listed again only when its time changed (twice, then
// trusted) or after statusRecheck: cycles with nothing new list none, and
// a file someone removed is noticed and written again.
func TestShardsListedWhenChanged(t *testing.T) {
	r := newRig(t)
	r.addJob(nil)
	counter := &countingOpener{Opener: shares.NewOpener(), n: map[string]int{}, d: map[string]time.Duration{}}
	r.op = &faultOpener{Opener: counter}
	r.service(watchdog.Config{})
	r.runOnce() // writes both files
	r.runOnce() // lists their shards
	r.runOnce() // and again: trusted from now on
	counter.reset()
	r.runOnce()
	if got := counter.n["list instructions"]; got != 1 {
		t.Errorf("a cycle with nothing new listed instructions/ and its shards %d times, want once (%s)", got, counter.summary())
	}
	name, _ := protocol.InstructionsPath("PC002")
	before, _ := r.insIn(protocol.LayoutSharded, "PC002")
	must(t, os.Remove(filepath.Join(r.smb.Dir("SITE"), filepath.FromSlash(name))))
	r.runOnce()
	after, ok := r.insIn(protocol.LayoutSharded, "PC002")
	if !ok || after.Sequence <= before.Sequence || len(after.Offers) != 1 {
		t.Fatalf("a removed file was not written again: %v, %+v", ok, after)
	}
}
