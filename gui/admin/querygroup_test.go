package admin

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"opensms/core/model"
)

// The group dialog makes a query group: Preview members says the API's
// sentence for a query that does not compile and the computers a good one
// matches; OK stores the query, and members are no longer typed.
func TestGroupDialogQueryAndPreview(t *testing.T) {
	a, st := newTestAdmin(t)
	var d fyne.CanvasObject
	var q *widget.Entry
	a.locked(func() {
		newGroupDialog(a, model.MachineGroup{}, true).show()
		d = mustDialog(t, a, "New Machine Group")
		test.Type(fieldOf[*widget.Entry](t, d, "Name"), "Linux")
		q = fieldOf[*widget.Entry](t, d, "Query")
		test.Type(q, "installed ++ (")
		test.Tap(buttonIn(t, d, "Preview members"))
	})
	waitFor(t, a, "the compile error in the dialog", func() bool { return labelContains(d, "does not compile: unexpected token EOF at column 14") })
	a.locked(func() {
		q.SetText(`os == "linux" and not ("P" in installed)`)
		if len(all[*memberPicker](formField(t, d, "Members"))) != 0 {
			t.Error("members can be chosen for a query group")
		}
		test.Tap(buttonIn(t, d, "Preview members"))
	})
	waitFor(t, a, "the preview", func() bool { return labelContains(d, "1 of 1 computers match: PC001") })
	a.locked(func() { test.Tap(buttonIn(t, d, "OK")) })
	waitFor(t, a, "the query group stored", func() bool {
		g, err := st.GetGroup(context.Background(), "Linux")
		return err == nil && g.Query == `os == "linux" and not ("P" in installed)` && len(g.Members) == 0
	})
}

// Computer Properties shows what the computer's client reported.
func TestComputerPropertiesShowInventory(t *testing.T) {
	a, _ := newTestAdmin(t)
	c := model.Computer{Name: "PC001", Site: "S01", Platform: "linux/amd64", Inventory: &model.Inventory{
		OS: "linux", Arch: "amd64", CPUs: 4, CPUModel: "Test CPU", Memory: 8 << 30, Kernel: "6.1.0",
		Disks:     []model.Disk{{Path: "/", Size: 100 << 30, Free: 20 << 30}},
		Software:  []model.Software{{Name: "curl", Version: "7.88"}},
		Installed: []string{"S0100007"},
	}}
	a.locked(func() {
		newComputerDialog(a, c, false).show()
		d := mustDialog(t, a, "Computer Properties")
		for _, want := range []string{"4 × Test CPU", "8 GB", "6.1.0", "S0100007", "curl 7.88"} {
			if !labelContains(d, want) {
				t.Errorf("Computer Properties does not say %q", want)
			}
		}
	})
}

// labelContains reports whether a label in o holds s.
func labelContains(o fyne.CanvasObject, s string) bool {
	for _, l := range all[*widget.Label](o) {
		if strings.Contains(l.Text, s) {
			return true
		}
	}
	return false
}
