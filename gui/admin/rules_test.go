package admin

import (
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"opensms/core/model"
)

// The window checked a second command line of the same name itself, in
// words of its own; the model's check speaks now, naming the new one.
func TestCommandLineNamesCheckedByTheModel(t *testing.T) {
	a, _ := newTestAdmin(t)
	a.locked(func() {
		_, ws := newPackageWith(t, a, "Hello", t.TempDir())
		cd := newCommandLine(t, a, ws, "Install", "sh install.sh")
		test.Tap(checkIn(t, cd, "linux/amd64"))
		test.Tap(buttonIn(t, cd, "OK"))
		cd = newCommandLine(t, a, ws, "install", "sh again.sh")
		test.Tap(checkIn(t, cd, "linux/amd64"))
		test.Tap(buttonIn(t, cd, "OK"))
		if got, want := shownError(cd), `command line "install": the package already has a command line named "Install"`; got != want {
			t.Errorf("a second Install shows %q, want %q", got, want)
		}
		// Editing a command line keeping its own name is no clash.
		test.Tap(buttonIn(t, cd, "Cancel"))
		list := all[*widget.List](ws)[0]
		list.Select(0)
		test.Tap(buttonIn(t, ws, "Edit…"))
		ed := mustDialog(t, a, "Command Line Properties")
		test.Tap(buttonIn(t, ed, "OK"))
		if e := shownError(ed); e != "" {
			t.Errorf("keeping a command line's name is refused: %s", e)
		}
	})
}

// Job Details checked "a machine group's servers, but no group" itself;
// the model's Distribute.SetServers does, for smsctl too.
func TestJobDistributeGroupCheckedByTheModel(t *testing.T) {
	a, st := newTestAdmin(t)
	p, _ := storedPackage(t, a, st)
	a.locked(func() {
		a.newJob(p, model.Target{Kind: model.TargetComputer, Name: "PC001"})
		jd := mustDialog(t, a, "Job Details")
		for _, rg := range all[*widget.RadioGroup](jd) {
			if len(rg.Options) == len(distModes) && rg.Options[1] == distModes[1] {
				rg.SetSelected(distModes[1])
			}
		}
		test.Tap(buttonIn(t, jd, "OK"))
		want := "distribute phase: choose the machine group that lists the servers, or put the package on the Default Servers"
		if got := shownError(jd); got != want {
			t.Errorf("no group chosen shows %q, want %q", got, want)
		}
	})
}

// The registry rule's key field was a quarter of the row, about 130 px,
// for keys of sixty characters and more: it has the rule's whole width.
func TestRegistryKeyFieldIsWide(t *testing.T) {
	a, _ := newTestAdmin(t)
	a.locked(func() {
		pp, _ := newPackageWith(t, a, "Hello", t.TempDir())
		test.Tap(buttonIn(t, pp, "Inventory…"))
		iv := mustDialog(t, a, "Inventory")
		test.Tap(buttonIn(t, iv, "Add rule"))
		for _, s := range all[*widget.Select](iv) {
			if slices.Contains(s.Options, string(model.RuleRegistry)) {
				s.SetSelected(string(model.RuleRegistry))
			}
		}
		var key *widget.Entry
		for _, e := range all[*widget.Entry](iv) {
			if strings.Contains(e.PlaceHolder, `HKLM\Software`) {
				key = e
			}
		}
		if key == nil {
			t.Fatal("no registry key field after choosing a registry rule")
		}
		if w := key.Size().Width; w < 450 {
			t.Errorf("the registry key field is %.0f px wide, want at least 450", w)
		}
	})
}
