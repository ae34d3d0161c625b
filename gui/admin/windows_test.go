package admin

import (
	"context"
	"runtime"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"opensms/core/model"
)

// TestMachineGroupMembersAreEditable edits the members; one that is neither
// a computer nor a server is refused with the API's sentence (the window
// used to save it and the job left it out without a word).
func TestMachineGroupMembersAreEditable(t *testing.T) {
	a, st := newTestAdmin(t)
	waitFor(t, a, "the group list", func() bool { return len(a.groups.groups) == 1 })
	var d fyne.CanvasObject
	var members *widget.Entry
	a.locked(func() {
		a.groups.list.Select(0)
		a.groups.onProperties()
		d = mustDialog(t, a, "Machine Group Properties")
		members = fieldOf[*widget.Entry](t, d, "Members")
		if members.Text != "PC001" {
			t.Errorf("members shown as %q", members.Text)
		}
		members.SetText("PC001\npc002, PC003")
		test.Tap(buttonIn(t, d, "OK"))
	})
	waitFor(t, a, "the unknown member refused", func() bool {
		return shownError(d) == "pc002 is neither a computer nor a distribution server"
	})
	must(t, st.PutComputers(context.Background(), model.Computer{Name: "PC002", Site: "S01"}, model.Computer{Name: "PC003", Site: "S01"}))
	a.locked(func() { test.Tap(buttonIn(t, d, "OK")) })
	waitFor(t, a, "the new members in the store and the dialog closed", func() bool {
		g, err := st.GetGroup(context.Background(), "Accounting")
		return err == nil && len(g.Members) == 3 && g.Members[1] == "PC002" && dialogNamed(a, "Machine Group Properties") == nil
	})
	a.locked(func() {
		a.groups.onNew()
		d := mustDialog(t, a, "New Machine Group")
		test.Type(fieldOf[*widget.Entry](t, d, "Name"), "Twice")
		fieldOf[*widget.Entry](t, d, "Members").SetText("PC001\npc001")
		test.Tap(buttonIn(t, d, "OK"))
	})
	want := model.MachineGroup{Name: "Twice", Members: []string{"PC001", "pc001"}}.Validate()
	if want == nil {
		t.Fatal("the model takes a doubled member")
	}
	waitFor(t, a, "the doubled member refused", func() bool {
		d := dialogNamed(a, "New Machine Group")
		return d != nil && shownError(d) == want.Error()
	})
}

func TestEventsWindowFiltersByJobComputerAndSeverity(t *testing.T) {
	a, st := newTestAdmin(t)
	ctx := context.Background()
	for _, e := range []model.Event{
		{Severity: model.SevInfo, Job: "S0100001", Computer: "PC001", Message: "PC001 ran S0100001"},
		{Severity: model.SevError, Job: "S0100001", Computer: "PC002", Message: "PC002 failed S0100001"},
		{Severity: model.SevInfo, Job: "S0100002", Message: "job S0100002 activated"},
	} {
		_, err := st.AppendEvent(ctx, e)
		must(t, err)
	}
	a.locked(a.events.reload)
	waitFor(t, a, "the events", func() bool { return len(a.events.events) >= 3 })
	check := func(job, computer, severity string, want int) {
		t.Helper()
		a.locked(func() {
			a.events.job.SetText(job)
			a.events.computer.SetText(computer)
			a.events.severity.SetSelected(severity) // filters at once
			a.events.onFilter()
		})
		waitFor(t, a, "filtered events", func() bool { return len(a.events.events) == want })
	}
	check("S0100001", "", "All", 2)
	check("", "pc002", "All", 1)
	check("", "", "Error", 1)
	check("S0100002", "", "Info", 1)
}

func TestClosingWindowsEndsTheirGoroutines(t *testing.T) {
	a, _ := newTestAdmin(t)
	cycle := func() {
		for _, title := range windowOrder {
			a.locked(func() { a.closeWindow(a.find(title)) })
			a.locked(func() { a.show(title) })
		}
	}
	cycle()
	time.Sleep(300 * time.Millisecond)
	before := runtime.NumGoroutine()
	for i := 0; i < 5; i++ {
		cycle()
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before+2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before+2 {
		t.Errorf("%d goroutines after reopening every window 5 times, %d before", n, before)
	}
}
