package admin

import (
	"context"
	"testing"

	"opensms/core/model"
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
