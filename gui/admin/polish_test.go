package admin

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	adminapi "opensms/core/admin"
	"opensms/core/model"
	"opensms/core/watchdog"
)

// The Sharing… dialog's fields were about 40 px wide ("e.g. H", "folde"):
// each is wide enough for a share name and a folder path.
func TestSharingDialogFieldsAreWide(t *testing.T) {
	a, _ := newTestAdmin(t)
	a.locked(func() {
		a.packages.onNew()
		pp := mustDialog(t, a, "New Package")
		test.Tap(buttonIn(t, pp, "Sharing…"))
		d := mustDialog(t, a, "Sharing")
		for _, label := range []string{"Share name", "Server subfolder", "Access"} {
			e := fieldOf[*widget.Entry](t, d, label)
			if w := e.Size().Width; w < 300 {
				t.Errorf("the %s field is %.0f px wide, want at least 300", label, w)
			}
		}
	})
}

// A placeholder that reads like a value ("1.0") was taken for one and saved
// empty: every hint in New Package and New Command Line says "e.g.", or
// what an empty field means.
func TestPlaceholdersCannotBeMistakenForValues(t *testing.T) {
	a, _ := newTestAdmin(t)
	a.locked(func() {
		pp, ws := newPackageWith(t, a, "Hello", t.TempDir())
		cd := newCommandLine(t, a, ws, "Install", "sh install.sh")
		for _, e := range append(all[*widget.Entry](pp), all[*widget.Entry](cd)...) {
			h := e.PlaceHolder
			if h == "" {
				continue
			}
			if !strings.Contains(h, "e.g.") && !strings.Contains(h, "default") && !strings.Contains(h, "none") {
				t.Errorf("the hint %q reads like a value", h)
			}
		}
		if v := fieldOf[*widget.Entry](t, pp, "Version"); v.Text != "" || !strings.HasPrefix(v.PlaceHolder, "none yet") {
			t.Errorf("Version shows %q with the hint %q; want empty with a hint that says so", v.Text, v.PlaceHolder)
		}
		// Saved without a version, the notice read "(Hello ) saved.".
		test.Tap(checkIn(t, cd, "linux/amd64"))
		test.Tap(buttonIn(t, cd, "OK"))
		test.Tap(buttonIn(t, ws, "OK"))
		test.Tap(buttonIn(t, pp, "OK"))
	})
	waitFor(t, a, "the saved notice", func() bool { return strings.HasSuffix(a.status.message.Text, " saved.") })
	if got := a.status.message.Text; !strings.HasSuffix(got, " (Hello) saved.") {
		t.Errorf("a package saved without a version reads %q", got)
	}
}

// Import PDF: the red sentence for an empty source ran over Cancel and OK.
// It sits above the buttons, whatever the import warned about.
func TestImportErrorStaysAboveTheButtons(t *testing.T) {
	a, _ := newTestAdmin(t)
	a.locked(func() { a.importFrom(io.NopCloser(strings.NewReader(helloPDF)), "hello.pdf") })
	waitFor(t, a, "the source folder question", func() bool { return dialogNamed(a, "Import Package Definition") != nil })
	a.locked(func() {
		test.Tap(buttonIn(t, mustDialog(t, a, "Import Package Definition"), "Next"))
		pp := mustDialog(t, a, "New Package")
		if !strings.Contains(shownError(pp), "source") {
			t.Fatalf("no sentence about the empty source: %q", shownError(pp))
		}
		var errLabel *widget.Label
		for _, l := range all[*widget.Label](pp) {
			if l.Importance == widget.DangerImportance && l.Text != "" {
				errLabel = l
			}
		}
		bottom := a.abs(errLabel).Y + errLabel.MinSize().Height
		for _, b := range []string{"Cancel", "OK"} {
			if top := a.abs(buttonIn(t, pp, b)).Y; bottom > top {
				t.Errorf("the error ends at y=%.0f, below the top of %s at y=%.0f", bottom, b, top)
			}
		}
	})
}

// The toolbar's icons were guessed wrong (the info icon is Events, the person
// Machine Groups, the copy icon Cascade): each button says what it does, and
// does it.
func TestToolbarButtonsSayWhatTheyDo(t *testing.T) {
	a, _ := newTestAdmin(t)
	a.locked(func() {
		content := a.win.Content()
		for _, label := range []string{"New", "Properties", "Delete", "Refresh", "Run cycle", "Tile", "Cascade"} {
			if b := buttonIn(t, content, label); b.Icon == nil {
				t.Errorf("the %s button has no icon", label)
			}
		}
		for label, title := range map[string]string{"Sites": titleSites, "Packages": titlePackages, "Jobs": titleJobs, "Groups": titleGroups, "Events": titleEvents} {
			test.Tap(buttonIn(t, content, label))
			if w := a.active(); w == nil || w.title != title {
				t.Errorf("the %s button brought %v to the top, want %s", label, w, title)
			}
		}
	})
}

// A red sentence stayed after the field it named was fixed: typing into a
// field clears it, and OK says the next sentence, if any.
func TestStaleErrorClearsWhenAFieldChanges(t *testing.T) {
	a, st := newTestAdmin(t)
	p, _ := storedPackage(t, a, st)
	a.locked(func() {
		a.newJob(p, model.Target{Kind: model.TargetSite, Name: "S01"})
		jd := mustDialog(t, a, "Job Details")
		mandatory := fieldOf[*widget.Entry](t, jd, "Mandatory after")
		mandatory.SetText("next tuesday")
		test.Tap(buttonIn(t, jd, "OK"))
		if shownError(jd) == "" {
			t.Fatal("a bad date shows no sentence")
		}
		mandatory.SetText("")
		if got := shownError(jd); got != "" {
			t.Errorf("after the date was cleared the dialog still says %q", got)
		}
	})
	a.locked(func() {
		_, ws := newPackageWith(t, a, "Hello", "")
		cd := newCommandLine(t, a, ws, "Install", "")
		test.Tap(buttonIn(t, cd, "OK"))
		if shownError(cd) == "" {
			t.Fatal("a command line without a command shows no sentence")
		}
		test.Type(fieldOf[*widget.Entry](t, cd, "Command"), "sh install.sh")
		if got := shownError(cd); got != "" {
			t.Errorf("after the command was typed New Command Line still says %q", got)
		}
	})
}

// File → New Job… makes a job without a drag: the package and the target
// are chosen from lists (Next is off until both are), Job Details opens
// filled in, and OK stores the job.
func TestNewJobWithoutADrag(t *testing.T) {
	a, st := newTestAdmin(t)
	p, _ := storedPackage(t, a, st)
	a.locked(func() {
		a.show(titleJobs)
		a.onNew() // File → New with Jobs on top
	})
	waitFor(t, a, "the packages offered", func() bool {
		d := dialogNamed(a, "New Job")
		return d != nil && len(fieldOf[*widget.Select](t, d, "Package").Options) == 1
	})
	a.locked(func() {
		d := mustDialog(t, a, "New Job")
		next := buttonIn(t, d, "Next…")
		if !next.Disabled() {
			t.Error("Next is on before a package and a target are chosen")
		}
		fieldOf[*widget.Select](t, d, "Package").SetSelectedIndex(0)
		fieldOf[*widget.RadioGroup](t, d, "Send to").SetSelected("Site")
		target := fieldOf[*widget.Select](t, d, "Target")
		if len(target.Options) != 1 || target.Options[0] != "S01" {
			t.Fatalf("the sites offered are %q, want [S01]", target.Options)
		}
		if !next.Disabled() {
			t.Error("Next is on before a target is chosen")
		}
		target.SetSelected("S01")
		if next.Disabled() {
			t.Fatal("Next stays off with a package and a site chosen")
		}
		test.Tap(next)
		jd := mustDialog(t, a, "Job Details")
		if !labelText(jd, "Site S01") || !labelText(jd, p.ID) {
			t.Errorf("Job Details does not show the chosen package and site: %s", overlayText(a))
		}
		test.Tap(buttonIn(t, jd, "OK"))
	})
	waitFor(t, a, "the job in the store", func() bool {
		js, _ := st.ListJobs(context.Background())
		return len(js) == 1 && js[0].Package == p.ID && js[0].Target == model.Target{Kind: model.TargetSite, Name: "S01"}
	})
}

// TestNewJobStartsFromTheSelection: a package selected in Packages and a
// computer selected in Sites are what New Job… offers chosen, so a keyboard
// user picks them in the lists and goes on with Next.
func TestNewJobStartsFromTheSelection(t *testing.T) {
	a, st := newTestAdmin(t)
	first, _ := storedPackage(t, a, st)
	first.ID, first.Name = "", "Second"
	p, err := st.CreatePackage(context.Background(), first)
	must(t, err)
	a.locked(a.packages.reload)
	waitFor(t, a, "two packages", func() bool { return len(a.packages.pkgs) == 2 })
	a.locked(func() {
		for i, q := range a.packages.pkgs {
			if q.ID == p.ID {
				a.packages.list.Select(i)
			}
		}
		a.sites.tree.Select(nodeID(nodeComputer, "PC001"))
		a.onNewJob()
	})
	waitFor(t, a, "the packages offered", func() bool {
		d := dialogNamed(a, "New Job")
		return d != nil && len(fieldOf[*widget.Select](t, d, "Package").Options) == 2
	})
	a.locked(func() {
		d := mustDialog(t, a, "New Job")
		if got := fieldOf[*widget.Select](t, d, "Package").Selected; got != pkgChoice(p) {
			t.Errorf("the package chosen is %q, want the selected %q", got, pkgChoice(p))
		}
		if kind, target := fieldOf[*widget.RadioGroup](t, d, "Send to").Selected, fieldOf[*widget.Select](t, d, "Target").Selected; kind != "Computer" || target != "PC001" {
			t.Errorf("the target chosen is %s %q, want the selected Computer PC001", kind, target)
		}
		if buttonIn(t, d, "Next…").Disabled() {
			t.Error("Next is off with the selected package and computer chosen")
		}
	})
}

// The Sites tree said "Accounting (1 members)".
func TestGroupMembersCountReads(t *testing.T) {
	for n, want := range map[int]string{0: "0 members", 1: "1 member", 2: "2 members"} {
		if got := members(n); got != want {
			t.Errorf("members(%d) = %q, want %q", n, got, want)
		}
	}
}

// A job that can no longer change showed its settings in greyed-out fields,
// hard to read: it shows them as plain, selectable text, no disabled entry.
func TestReadOnlyJobDetailsAreText(t *testing.T) {
	a, st := newTestAdmin(t)
	p, _ := storedPackage(t, a, st)
	j := storedJob(t, st, p)
	j.Status.State = model.JobActive
	must(t, st.UpdateJob(context.Background(), j))
	a.locked(func() { a.openJob(j) })
	waitFor(t, a, "Job Details", func() bool { return dialogNamed(a, "Job Details — "+j.ID) != nil })
	a.locked(func() {
		jd := mustDialog(t, a, "Job Details — "+j.ID)
		for _, e := range all[*widget.Entry](jd) {
			if e.Disabled() {
				t.Errorf("a disabled field %q shows on the Details tab", e.Text)
			}
		}
		if got := fieldOf[*widget.Label](t, jd, "Command line").Text; got != "Install" {
			t.Errorf("Command line reads %q", got)
		}
		if got := fieldOf[*widget.Label](t, jd, "Target").Text; got != "Computer PC001" {
			t.Errorf("Target reads %q", got)
		}
	})
}

// A cycle's "Last cycle … took …" replaced "Package … saved." before anyone
// read it: routine news waits behind the user's notice; a warning does not.
func TestCycleNewsKeepsASavedNotice(t *testing.T) {
	a, _ := newTestAdmin(t)
	now := time.Now()
	a.locked(func() {
		a.status.setMessage("Package S0100001 (Hello 1.0) saved.")
		a.status.apply([]adminapi.Change{
			{Kind: watchdog.UpdateCycle, Cycle: &watchdog.Cycle{Started: now, Duration: time.Second, Next: now.Add(time.Minute)}},
			{Kind: watchdog.UpdateEvent, Event: &model.Event{Severity: model.SevInfo, Message: "job S0100001 offered to 1 computer"}},
		})
		if got := a.status.message.Text; got != "Package S0100001 (Hello 1.0) saved." {
			t.Errorf("routine news replaced the notice: %q", got)
		}
		a.status.apply([]adminapi.Change{{Kind: watchdog.UpdateEvent, Event: &model.Event{Severity: model.SevError, Message: "job S0100001 failed"}}})
		if got := a.status.message.Text; got != "job S0100001 failed" {
			t.Errorf("an error did not show over the notice: %q", got)
		}
	})
}
