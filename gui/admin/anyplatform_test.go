package admin

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"opensms/core/model"
)

const anyPlatformCheck = "Any platform (every computer, whatever it runs)"

// The command line dialog's "Any platform" checkbox, above the platform
// list, turns the list off and stores a command line for every computer.
func TestCommandLineForAnyPlatform(t *testing.T) {
	a, st := newTestAdmin(t)
	src := t.TempDir()
	a.locked(func() {
		pp, ws := newPackageWith(t, a, "Everywhere", src)
		cd := newCommandLine(t, a, ws, "Install", "install")
		test.Tap(checkIn(t, cd, "linux/amd64"))
		test.Tap(checkIn(t, cd, anyPlatformCheck))
		if !checkIn(t, cd, "linux/amd64").Disabled() || !checkIn(t, cd, "windows/arm64").Disabled() {
			t.Error("the platform list is still on with Any platform checked")
		}
		test.Tap(buttonIn(t, cd, "OK"))
		if dialogNamed(a, "New Command Line") != nil {
			t.Fatalf("command line refused: %s", shownError(cd))
		}
		if !labelText(ws, "any platform") {
			t.Error("the Workstations list does not say any platform")
		}
		// Editing it again shows the box checked and the list off.
		all[*widget.List](ws)[0].Select(0)
		test.Tap(buttonIn(t, ws, "Edit…"))
		cd = mustDialog(t, a, "Command Line Properties")
		if !checkIn(t, cd, anyPlatformCheck).Checked || !checkIn(t, cd, "linux/amd64").Disabled() {
			t.Error("an any-platform command line opens without its box checked")
		}
		test.Tap(buttonIn(t, cd, "Cancel"))
		test.Tap(buttonIn(t, ws, "OK"))
		test.Tap(buttonIn(t, pp, "OK"))
	})
	var ps []model.Package
	waitFor(t, a, "the package in the store", func() bool {
		ps, _ = st.ListPackages(context.Background())
		return len(ps) == 1
	})
	if c := ps[0].Commands[0]; !c.AnyPlatform || len(c.Platforms) != 0 {
		t.Errorf("stored %+v", c)
	}
}

// Configuration Manager's file through File → Import: its registry rule
// shows on the Inventory page with its own fields and survives OK there,
// and an MSI rule added on the page is stored as the model writes it.
func TestInventoryKeepsRegistryAndMSIRules(t *testing.T) {
	a, st := newTestAdmin(t)
	src := t.TempDir()
	f, err := os.Open(filepath.Join("..", "..", "core", "pdf", "testdata", "test-application.sms"))
	if err != nil {
		t.Fatal(err)
	}
	a.locked(func() { a.importFrom(f, "test-application.sms") })
	waitFor(t, a, "the source folder question", func() bool { return dialogNamed(a, "Import Package Definition") != nil })
	a.locked(func() {
		d := mustDialog(t, a, "Import Package Definition")
		test.Type(fieldOf[*widget.Entry](t, d, "Source folder"), src)
		test.Tap(buttonIn(t, d, "Next"))
		pp := mustDialog(t, a, "New Package")
		if !labelText(pp, "runs on any platform") {
			t.Error("the any-platform warning is not shown")
		}
		test.Tap(buttonIn(t, pp, "Inventory…"))
		iv := mustDialog(t, a, "Inventory")
		if entryWithText(iv, `HKLM\Software\Fabrikam\Test Application`) == nil || entryWithText(iv, "IsInstalled") == nil || entryWithText(iv, "yes") == nil {
			t.Fatal("the registry rule's key, value name and data are not shown")
		}
		test.Tap(buttonIn(t, iv, "Add rule"))
		kinds := all[*widget.Select](iv)
		kinds[len(kinds)-1].SetSelected(string(model.RuleMSI)) // the new rule's kind (the registry row's view select comes before it)
		iv = mustDialog(t, a, "Inventory")
		code := entryWithHint(iv, "MSI product code {GUID}")
		if code == nil {
			t.Fatal("an msi rule shows no product code field")
		}
		test.Type(code, "23170f69-40c1-2702-2409-000001000000")
		test.Tap(buttonIn(t, iv, "OK"))
		if e := shownError(pp); e != "" {
			t.Fatalf("Package Properties says %q", e)
		}
		test.Tap(buttonIn(t, pp, "OK"))
	})
	var ps []model.Package
	waitFor(t, a, "the package in the store", func() bool {
		ps, _ = st.ListPackages(context.Background())
		return len(ps) == 1
	})
	want := []model.DetectionRule{
		{Kind: model.RuleRegistry, Key: `HKLM\Software\Fabrikam\Test Application`, ValueName: "IsInstalled", Value: "yes", View: model.RegistryView64},
		{Kind: model.RuleMSI, ProductCode: "{23170F69-40C1-2702-2409-000001000000}"},
	}
	if got := ps[0].Detection; len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("stored rules %+v, want %+v", got, want)
	}
}

func entryWithText(d fyne.CanvasObject, text string) *widget.Entry {
	for _, e := range all[*widget.Entry](d) {
		if e.Text == text {
			return e
		}
	}
	return nil
}

func entryWithHint(d fyne.CanvasObject, hint string) *widget.Entry {
	for _, e := range all[*widget.Entry](d) {
		if e.PlaceHolder == hint {
			return e
		}
	}
	return nil
}
