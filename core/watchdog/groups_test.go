package watchdog_test

import (
	"slices"
	"testing"
	"time"

	"opensms/core/model"
	"opensms/core/protocol"
	"opensms/core/share"
	"opensms/core/watchdog"
)

// reportInventory plays a computer's client: it writes its signed
// inventory on the site share.
func (r *rig) reportInventory(computer string, installed []string, at time.Time) {
	r.t.Helper()
	data, err := protocol.EncodeInventory(computerKey(computer), protocol.Inventory{Format: protocol.InventoryFormat,
		Inventory: model.Inventory{Computer: computer, Site: siteCode, OS: "linux", Arch: "amd64", ClientVersion: "1",
			CPUs: 4, Memory: 8 << 30, Installed: installed, Time: at, InstructionsLayout: protocol.InstructionsLayout}})
	must(r.t, err)
	name, _ := protocol.InventoryPath(computer)
	must(r.t, share.WriteFileAtomic(bg, r.siteFS(), name, data))
}

// A query group's members follow the computers' inventory each cycle, and
// a job aimed at it reaches the computers that come to match while it
// lasts; one that stops matching keeps its status.
func TestQueryGroupAndJobFollow(t *testing.T) {
	r := newRig(t)
	const p = "S0100077"
	r.reportInventory("PC001", []string{p}, time.Now().Add(-time.Minute))
	r.reportInventory("PC002", nil, time.Now().Add(-time.Minute))
	must(t, r.st.CreateGroup(bg, model.MachineGroup{Name: "Missing", Query: `not ("` + p + `" in installed) and os == "linux"`}))
	// A group whose query does not compile keeps its members and says so.
	must(t, r.st.CreateGroup(bg, model.MachineGroup{Name: "Broken", Query: `installed ++ (`}))
	r.runOnce()
	group := func() model.MachineGroup {
		t.Helper()
		g, err := r.st.GetGroup(bg, "Missing")
		must(t, err)
		return g
	}
	if g := group(); !slices.Equal(g.Members, []string{"PC002"}) || g.Joined["PC002"].IsZero() {
		t.Fatalf("members %v, joined %v; want PC002", g.Members, g.Joined)
	}
	// The Watch stream says so, for the windows that show the group.
	for deadline := time.Now().Add(10 * time.Second); !r.updates.has(watchdog.UpdateGroup, "Missing"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) { // a bound, not a timing assertion
			t.Fatal("no group update for Missing after its members changed")
		}
	}
	r.wantEvent("", "machine group Broken: the query")

	j := r.addJob(func(j *model.Job) { j.Target = model.Target{Kind: model.TargetGroup, Name: "Missing"} })
	r.runOnce()
	targets := func() map[string]model.TargetStatus {
		t.Helper()
		ts, err := r.st.ListTargetStatuses(bg, j.ID)
		must(t, err)
		out := map[string]model.TargetStatus{}
		for _, x := range ts {
			out[x.Computer] = x
		}
		return out
	}
	if ts := targets(); len(ts) != 1 || ts["PC002"].State != model.TargetOffered || ts["PC002"].Joined.IsZero() {
		t.Fatalf("targets %+v", ts)
	}

	// A third computer appears without the package: offered in the cycle
	// that reads its inventory. PC002 gets the package: it leaves the
	// group and keeps its status.
	must(t, r.st.PutComputers(bg, withKey(model.Computer{Name: "PC003", Site: siteCode, Platform: "linux/amd64"})))
	r.reportInventory("PC003", nil, time.Now())
	r.reportInventory("PC002", []string{p}, time.Now())
	r.runOnce()
	if g := group(); !slices.Equal(g.Members, []string{"PC003"}) {
		t.Fatalf("members after the change %v; want PC003", g.Members)
	}
	ts := targets()
	if ts["PC003"].State != model.TargetOffered || ts["PC002"].State != model.TargetOffered || !ts["PC003"].Joined.After(ts["PC002"].Joined) {
		t.Fatalf("targets after the change %+v", ts)
	}
	if ins := r.instructions("PC003"); len(ins.Offers) != 1 || ins.Offers[0].Job != j.ID {
		t.Fatalf("PC003 not offered the job: %+v", ins.Offers)
	}
	r.wantEvent("", "machine group Missing: PC003 joined, PC002 left")
}

// has reports whether a record update of kind for id has arrived.
func (r *recorder) has(kind watchdog.UpdateKind, id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.ContainsFunc(r.all, func(u watchdog.Update) bool {
		return u.Kind == kind && u.Record != nil && u.Record.ID == id
	})
}
