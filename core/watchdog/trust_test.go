package watchdog_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"opensms/core/model"
	"opensms/core/protocol"
	"opensms/core/share"
	"opensms/core/watchdog"
)

// forgeStatus writes PC's status for job as signed by key.
func (r *rig) forgeStatus(key ed25519.PrivateKey, job, computer string, state model.TargetState) {
	r.t.Helper()
	code := 0
	data, err := protocol.EncodeStatus(key, protocol.Status{Format: protocol.StatusFormat, Job: job, Computer: computer, Generation: 1,
		State: state, ExitCode: &code, Attempts: 1, Written: time.Now()})
	must(r.t, err)
	name, err := protocol.StatusPath(computer, job)
	must(r.t, err)
	must(r.t, share.WriteFileAtomic(bg, r.siteFS(), name, data))
}

func (r *rig) inventory(key ed25519.PrivateKey, computer string, at time.Time) {
	r.t.Helper()
	data, err := protocol.EncodeInventory(key, protocol.Inventory{Format: protocol.InventoryFormat,
		Inventory: model.Inventory{Computer: computer, Site: siteCode, OS: "linux", Arch: "amd64", ClientVersion: "1", Time: at, InstructionsLayout: protocol.InstructionsLayout}})
	must(r.t, err)
	name, err := protocol.InventoryPath(computer)
	must(r.t, err)
	must(r.t, share.WriteFileAtomic(bg, r.siteFS(), name, data))
}

func (r *rig) wantEventText(substr string) {
	r.t.Helper()
	evs, err := r.st.ListEvents(bg, model.EventFilter{})
	must(r.t, err)
	for _, e := range evs {
		if strings.Contains(e.Message, substr) {
			return
		}
	}
	r.t.Errorf("no event says %q", substr)
}

// TestForgedStatusIsRefused is finding 2 of issue 14: every client writes
// the site share with one account, so PC001 could write PC002's status.
// A forged "complete" made the watchdog mark PC002 complete and withdraw
// its offer. Now a status counts only when signed by the key registered
// for its computer; anything else is an event.
func TestForgedStatusIsRefused(t *testing.T) {
	r := newRig(t)
	j := r.addJob(nil)
	r.runOnce()
	r.wantTarget(j.ID, "PC002", model.TargetOffered, 0)

	r.forgeStatus(computerKey("PC001"), j.ID, "PC002", model.TargetComplete) // another client's own key
	r.runOnce()
	r.wantTarget(j.ID, "PC002", model.TargetOffered, 0)
	if len(r.instructions("PC002").Offers) != 1 {
		t.Fatal("the forged status withdrew PC002's offer")
	}
	r.wantEventText("signed by key " + protocol.Fingerprint(computerKey("PC001").Public().(ed25519.PublicKey)))

	// A plain file, as clients wrote before, is not signed at all.
	code := 1
	plain, _ := json.Marshal(protocol.Status{Format: protocol.StatusFormat, Job: j.ID, Computer: "PC002", Generation: 1,
		State: model.TargetFailed, ExitCode: &code, Attempts: 1, Written: time.Now()})
	name, _ := protocol.StatusPath("PC002", j.ID)
	must(t, share.WriteFileAtomic(bg, r.siteFS(), name, plain))
	r.runOnce()
	r.wantTarget(j.ID, "PC002", model.TargetOffered, 0)
	r.wantEventText("not signed")

	r.forgeStatus(computerKey("PC002"), j.ID, "PC002", model.TargetComplete) // PC002's own
	r.runOnce()
	r.wantTarget(j.ID, "PC002", model.TargetComplete, 1)
}

// TestForgedInventoryIsRefused is finding 3 of issue 14: writing
// inventory/FAKE0001.json created a computer that then got site-wide
// offers, and a time in 2099 froze a real computer's inventory. Now a
// computer nobody added waits for approval and gets nothing, an inventory
// under another key than the registered one is refused, and a time ahead
// counts as now.
func TestForgedInventoryIsRefused(t *testing.T) {
	r := newRig(t)
	_, fake, _ := ed25519.GenerateKey(rand.Reader)
	r.inventory(fake, "FAKE0001", time.Now())
	j := r.addJob(nil)
	r.runOnce()
	c, err := r.st.GetComputer(bg, "FAKE0001")
	must(t, err)
	if !c.AwaitingApproval {
		t.Fatalf("a computer nobody added joined without approval: %+v", c)
	}
	if _, err := os.Stat(filepath.Join(r.smb.Dir("SITE"), "instructions", "FAKE0001.ins")); err == nil {
		t.Fatal("a computer awaiting approval was offered the job")
	}
	list, err := r.st.ListTargetStatuses(bg, j.ID)
	must(t, err)
	for _, ts := range list {
		if ts.Computer == "FAKE0001" {
			t.Errorf("a computer awaiting approval is a target of the job: %+v", ts)
		}
	}
	r.wantEventText("computer FAKE0001 asks to join site S01")
	// The Watch stream says so, for the windows that list the computers.
	for deadline := time.Now().Add(10 * time.Second); !r.updates.has(watchdog.UpdateComputer, "FAKE0001"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) { // a bound, not a timing assertion
			t.Fatal("no computer update for FAKE0001 after it asked to join")
		}
	}

	// Someone else's key for PC002: refused, and PC002 keeps its own.
	r.inventory(fake, "PC002", time.Now())
	r.runOnce()
	pc2, err := r.st.GetComputer(bg, "PC002")
	must(t, err)
	if string(pc2.PublicKey) != string(computerKey("PC002").Public().(ed25519.PublicKey)) || pc2.Inventory != nil {
		t.Errorf("an inventory under another key was taken for PC002: %+v", pc2)
	}
	r.wantEventText("but PC002 is registered under key")

	// PC001's clock says 2099: counted as now, and later reports still land.
	r.inventory(computerKey("PC001"), "PC001", time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC))
	r.runOnce()
	pc1, err := r.st.GetComputer(bg, "PC001")
	must(t, err)
	if pc1.LastSeen.Year() == 2099 {
		t.Fatalf("PC001 was last seen in %v", pc1.LastSeen)
	}
	r.inventory(computerKey("PC001"), "PC001", time.Now())
	r.runOnce()
	again, err := r.st.GetComputer(bg, "PC001")
	must(t, err)
	if !again.LastSeen.After(pc1.LastSeen) {
		t.Errorf("the inventory after a 2099 one was not taken: last seen %v, was %v", again.LastSeen, pc1.LastSeen)
	}

	// Approved, the computer gets its offer.
	c.AwaitingApproval = false
	must(t, r.st.PutComputers(bg, c))
	r.runOnce()
	if len(r.instructions("FAKE0001").Offers) != 1 {
		t.Error("the approved computer was not offered the job")
	}
}

// TestClientTextIsCleaned is finding 6 of issue 14: text a client wrote
// (its status error, its output, its inventory) reached the store, events
// and the administrator's terminal raw, escape sequences and all. Now it is
// stored without control characters, and a failed computer keeps the last
// lines of its output.
func TestClientTextIsCleaned(t *testing.T) {
	r := newRig(t)
	j := r.addJob(nil)
	r.runOnce()
	code := 1
	var out strings.Builder
	for i := range 30 {
		out.WriteString("line " + string(rune('a'+i%26)) + "\r\n")
	}
	out.WriteString("\x1b]0;owned\x07\x1b[2Jlast line\n")
	data, err := protocol.EncodeStatus(computerKey("PC001"), protocol.Status{Format: protocol.StatusFormat, Job: j.ID, Computer: "PC001", Generation: 1,
		State: model.TargetFailed, ExitCode: &code, Attempts: 1, Written: time.Now(),
		Error:      "exit code 1\n2026-11-30 10:00:00 INFO job complete on every computer\x1b[1A\x1b[2K",
		OutputTail: out.String()})
	must(t, err)
	name, _ := protocol.StatusPath("PC001", j.ID)
	must(t, share.WriteFileAtomic(bg, r.siteFS(), name, data))
	inv, err := protocol.EncodeInventory(computerKey("PC002"), protocol.Inventory{Format: protocol.InventoryFormat,
		Inventory: model.Inventory{Computer: "PC002", Site: siteCode, OS: "windows", Arch: "amd64", OSVersion: "10\x1b[31m red", ClientVersion: "1\u202e", Time: time.Now()}})
	must(t, err)
	must(t, share.WriteFileAtomic(bg, r.siteFS(), "inventory/PC002.json", inv))
	r.runOnce()

	ts := r.target(j.ID, "PC001")
	if ts.State != model.TargetFailed || ts.LastError != "exit code 1 2026-11-30 10:00:00 INFO job complete on every computer[1A[2K" {
		t.Errorf("last error %q (%s)", ts.LastError, ts.State)
	}
	if ts.OutputTail != "line v\nline w\nline x\nline y\nline z\nline a\nline b\nline c\nline d\n]0;owned[2Jlast line" {
		t.Errorf("output tail %q", ts.OutputTail)
	}
	pc2, err := r.st.GetComputer(bg, "PC002")
	must(t, err)
	if pc2.Inventory == nil || pc2.Inventory.OSVersion != "10[31m red" || pc2.Inventory.ClientVersion != "1" {
		t.Errorf("inventory %+v", pc2.Inventory)
	}
	evs, err := r.st.ListEvents(bg, model.EventFilter{})
	must(t, err)
	for _, e := range evs {
		if strings.ContainsAny(e.Message, "\x1b\r\n\x07") {
			t.Errorf("event holds control characters: %q", e.Message)
		}
	}
}

// TestFolderAtInstructionFileIsRemoved: a folder planted where a
// computer's instruction file belongs blocked that computer for good; it is
// removed (with an event) and the file written.
func TestFolderAtInstructionFileIsRemoved(t *testing.T) {
	r := newRig(t)
	must(t, r.siteFS().MkdirAll("instructions/PC001.ins/x"))
	r.addJob(nil)
	r.runOnce()
	if len(r.instructions("PC001").Offers) != 1 {
		t.Fatal("PC001 was not offered the job")
	}
	r.wantEventText("removed a folder planted at instructions/PC001.ins")
}
