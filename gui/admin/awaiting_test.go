package admin

import (
	"context"
	"crypto/ed25519"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"opensms/core/model"
	"opensms/core/protocol"
)

// TestSitesWindowShowsAwaitingApproval: a computer that joined by itself
// (its client reported without an administrator adding it) is shown as
// awaiting approval in the Sites window.
func TestSitesWindowShowsAwaitingApproval(t *testing.T) {
	a, st := newTestAdmin(t)
	must(t, st.PutComputers(context.Background(), model.Computer{Name: "NEWPC", Site: "S01", Platform: "linux/amd64", AwaitingApproval: true}))
	a.locked(func() { a.show(titleSites) })
	<-a.sites.loaded
	a.locked(func() { a.sites.tree.OpenBranch(nodeID(nodeComps, "S01")) })
	waitFor(t, a, "the computers of S01", func() bool { return len(a.sites.comps["S01"]) == 2 })
	a.locked(func() {
		if _, label := a.sites.label(nodeID(nodeComputer, "NEWPC")); label != "NEWPC — awaiting approval" {
			t.Errorf("NEWPC is shown as %q", label)
		}
		if _, label := a.sites.label(nodeID(nodeComputer, "PC001")); label != "PC001" {
			t.Errorf("PC001 is shown as %q", label)
		}
	})
}

// TestComputerPropertiesApproves: Computer Properties of a computer that
// joined by itself shows its key and approves it.
func TestComputerPropertiesApproves(t *testing.T) {
	a, st := newTestAdmin(t)
	pub, _, _ := ed25519.GenerateKey(nil)
	must(t, st.PutComputers(context.Background(), model.Computer{Name: "NEWPC", Site: "S01", Platform: "linux/amd64", AwaitingApproval: true, PublicKey: pub}))
	c, err := a.api.GetComputer(context.Background(), "NEWPC")
	must(t, err)
	a.locked(func() { newComputerDialog(a, c, false).show() })
	d := mustDialog(t, a, "Computer Properties")
	a.locked(func() {
		shown := false
		for _, l := range all[*widget.Label](d) {
			shown = shown || l.Text == protocol.Fingerprint(pub)
		}
		if !shown {
			t.Errorf("the dialog does not show the computer's key %s", protocol.Fingerprint(pub))
		}
		checkIn(t, d, approveText).SetChecked(true)
		test.Tap(buttonIn(t, d, "OK"))
	})
	waitFor(t, a, "NEWPC approved", func() bool {
		c, err := st.GetComputer(context.Background(), "NEWPC")
		return err == nil && !c.AwaitingApproval
	})
}
