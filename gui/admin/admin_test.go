package admin

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"opensms/core/model"
	"opensms/storage/badgerstore"
)

// newTestAdmin opens a real Badger store in a temp dir with site S01, a
// computer, a machine group and a distribution server, and builds the
// Administrator on Fyne's test driver, with the watchdog newWatchdog makes
// (nil: none).
func newTestAdmin(t testing.TB, newWatchdog func(model.Store) Watchdog) (*Admin, *badgerstore.Store) {
	t.Helper()
	st, err := badgerstore.Open(t.TempDir(), badgerstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	must(t, st.PutSite(ctx, model.Site{Code: "S01", Name: "Head Office", Share: "file:///srv/opensms/site", Created: time.Now()}))
	must(t, st.PutServer(ctx, model.Server{Site: "S01", Name: "dist1", URL: "file:///srv/opensms/dist1", Default: true}))
	must(t, st.PutComputers(ctx, model.Computer{Name: "PC001", Site: "S01", Platform: "linux/amd64"}))
	must(t, st.PutGroup(ctx, model.MachineGroup{Name: "Accounting", Members: []string{"PC001"}}))
	var wd Watchdog
	if newWatchdog != nil {
		wd = newWatchdog(st)
	}
	app := test.NewTempApp(t)
	a := New(app, st, wd, nil)
	a.locked(func() {
		a.win.Resize(fyne.NewSize(1280, 800))
		a.win.Show()
	})
	t.Cleanup(func() {
		a.Close()
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	})
	return a, st
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// locked runs fn as the UI goroutine would: background results land under
// the same lock.
func (a *Admin) locked(fn func()) {
	a.uiMu.Lock()
	defer a.uiMu.Unlock()
	fn()
}

// waitFor polls cond (under the UI lock) until it holds or 10 s pass.
func waitFor(t testing.TB, a *Admin, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ok := false
		a.locked(func() { ok = cond() })
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestMainWindowHasItsInnerWindowsAndMenus(t *testing.T) {
	a, _ := newTestAdmin(t, nil)
	a.locked(func() {
		for _, title := range windowOrder {
			if a.find(title) == nil {
				t.Errorf("inner window %s is not open", title)
			}
		}
		menu := a.win.MainMenu()
		var got []string
		for _, m := range menu.Items {
			got = append(got, m.Label)
		}
		if strings.Join(got, ",") != "File,View,Tools,Window" {
			t.Errorf("menus = %v", got)
		}
		var file []string
		for _, it := range menu.Items[0].Items {
			file = append(file, it.Label)
		}
		want := "New,Properties,Delete,,Import Package Definition…,,Exit"
		if strings.Join(file, ",") != want {
			t.Errorf("File menu = %q, want %q", strings.Join(file, ","), want)
		}
		// Sites and Packages share the top row after tiling, side by side.
		s, p := a.find(titleSites).iw, a.find(titlePackages).iw
		if s.Position().Y != 0 || p.Position().Y != 0 || p.Position().X < s.Size().Width-1 {
			t.Errorf("not tiled: sites at %v %v, packages at %v", s.Position(), s.Size(), p.Position())
		}
		a.closeWindow(a.find(titleEvents))
		if a.events != nil || a.find(titleEvents) != nil {
			t.Error("Events still open after closing it")
		}
		a.show(titleEvents)
		if a.events == nil {
			t.Error("Window → Events did not reopen it")
		}
	})
}

func TestCreatePackageThroughPackageProperties(t *testing.T) {
	a, st := newTestAdmin(t, nil)
	src := t.TempDir()
	a.locked(func() {
		a.show(titlePackages)
		a.onNew() // File → New with Packages on top
		pp := a.props
		if pp == nil || !pp.isNew {
			t.Fatal("File → New did not open a new Package Properties")
		}
		test.Type(pp.name, "Hello")
		test.Type(pp.version, "1.0")
		test.Type(pp.comment, "says hello")

		test.Tap(pp.workstations)
		ws := a.workstations
		test.Type(ws.source, src)
		test.Tap(ws.add)
		cd := a.command
		test.Type(cd.name, "Install")
		test.Type(cd.command, "sh install.sh")
		for i, p := range model.Platforms {
			if p == "linux/amd64" || p == "linux/arm64" {
				test.Tap(cd.platforms[i])
			}
		}
		test.Type(cd.timeout, "30m")
		test.Tap(cd.ok)
		if cd.errText.Text != "" {
			t.Fatalf("command line refused: %s", cd.errText.Text)
		}
		test.Tap(ws.ok)
		if ws.errText.Text != "" {
			t.Fatalf("workstations refused: %s", ws.errText.Text)
		}
		test.Tap(pp.ok)
	})
	var pkgs []model.Package
	waitFor(t, a, "the package in the store", func() bool {
		pkgs, _ = st.ListPackages(context.Background())
		return len(pkgs) == 1 && !a.props.shown
	})
	p := pkgs[0]
	if p.Name != "Hello" || p.Version != "1.0" || p.Comment != "says hello" || p.Source != src {
		t.Errorf("stored %+v", p)
	}
	if len(p.Commands) != 1 {
		t.Fatalf("commands = %+v", p.Commands)
	}
	c := p.Commands[0]
	if c.Name != "Install" || c.Command != "sh install.sh" || len(c.Platforms) != 2 || !c.Automated ||
		c.Timeout != 30*time.Minute || fmt.Sprint(c.SuccessCodes, c.SoftRebootCodes, c.HardRebootCodes) != "[0] [3010] [1641]" {
		t.Errorf("command line = %+v", c)
	}
	waitFor(t, a, "the package in the Packages window", func() bool {
		return len(a.packages.pkgs) == 1 && a.packages.pkgs[0].ID == p.ID
	})
}

func TestPackagePropertiesBadFieldShowsTheModelsSentenceAndStoresNothing(t *testing.T) {
	a, st := newTestAdmin(t, nil)
	var want string
	a.locked(func() {
		a.packages.onNew()
		pp := a.props
		test.Type(pp.name, "Hello")
		test.Tap(pp.ok) // no source folder
		want = model.Package{Name: "Hello"}.Validate().Error()
		if pp.errText.Text != want {
			t.Errorf("error shown = %q, want the model's %q", pp.errText.Text, want)
		}
		if !pp.shown {
			t.Error("the dialog closed on a bad field")
		}

		// A bad command line is refused in its own dialog.
		test.Tap(pp.workstations)
		test.Tap(a.workstations.add)
		cd := a.command
		test.Type(cd.name, "Install")
		test.Type(cd.command, "sh install.sh")
		test.Tap(cd.ok) // no platform
		c := model.CommandLine{Name: "Install", Command: "sh install.sh", Automated: true}
		c.ApplyDefaults()
		if want := c.Validate().Error(); cd.errText.Text != want {
			t.Errorf("command line error = %q, want %q", cd.errText.Text, want)
		}
		if len(a.workstations.commands) != 0 {
			t.Error("a refused command line was added")
		}
	})
	time.Sleep(100 * time.Millisecond)
	if ps, _ := st.ListPackages(context.Background()); len(ps) != 0 {
		t.Errorf("stored %d packages after a bad field", len(ps))
	}
}
