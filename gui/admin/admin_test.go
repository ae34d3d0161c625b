package admin

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	adminapi "opensms/core/admin"
	"opensms/core/model"
	"opensms/core/watchdog"
	"opensms/gui/guitest"
	"opensms/storage/badgerstore"
	"opensms/storage/shares"
)

// newTestAdmin opens a real Badger store in a temp dir with site S01, a
// computer, a machine group and a distribution server, and builds the
// Administrator on Fyne's test driver over the API in process, with a real
// watchdog that does not run on its own.
func newTestAdmin(t testing.TB) (*Admin, *badgerstore.Store) {
	a, st, _ := newTestAdminWD(t)
	return a, st
}

// newTestAdminWD is newTestAdmin that also returns the watchdog, for tests
// that run its cycles.
func newTestAdminWD(t testing.TB) (*Admin, *badgerstore.Store, *watchdog.Service) {
	t.Helper()
	return openTestAdminVia(t, inProcess, seedSite)
}

// seedSite adds site S01 with server dist1, computer PC001 and machine
// group Accounting.
func seedSite(ctx context.Context, api adminapi.API) error {
	_, err := api.AddSite(ctx, adminapi.SiteRequest{Code: "S01", Name: "Head Office", Share: "file:///srv/opensms/site"})
	if err == nil {
		_, err = api.AddServer(ctx, adminapi.ServerRequest{Site: "S01", Name: "dist1", URL: "file:///srv/opensms/dist1", Default: true})
	}
	if err == nil {
		_, err = api.AddComputer(ctx, adminapi.ComputerRequest{Name: "PC001", Site: "S01", Platform: "linux/amd64"})
	}
	if err == nil {
		_, err = api.AddGroup(ctx, adminapi.GroupRequest{Name: "Accounting", Members: []string{"PC001"}})
	}
	return err
}

// via gives the window the API: in process, or through a site service.
type via func(t testing.TB, local adminapi.API, dir string) adminapi.API

func inProcess(_ testing.TB, local adminapi.API, _ string) adminapi.API { return local }

// openTestAdminVia opens a real Badger store in a temp dir, has seed fill
// it through the API, and builds the Administrator over the API reached
// through how.
func openTestAdminVia(t testing.TB, how via, seed func(context.Context, adminapi.API) error) (*Admin, *badgerstore.Store, *watchdog.Service) {
	t.Helper()
	dir := t.TempDir()
	st, err := badgerstore.Open(dir, badgerstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Error(err)
		}
	})
	opener := shares.NewOpener()
	wd := watchdog.New(st, opener, watchdog.Config{})
	api := how(t, adminapi.New(st, wd, opener), dir)
	if err := seed(context.Background(), api); err != nil {
		t.Fatal(err)
	}
	app := guitest.NewApp(t)
	var a *Admin
	// The windows start loading while New builds them: their results wait.
	app.Locked(func() {
		a = New(app, api)
		a.win.Resize(fyne.NewSize(1280, 800))
		a.win.Show()
	})
	t.Cleanup(a.Close)
	return a, st, wd
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
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
	a, _ := newTestAdmin(t)
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
		if strings.Join(got, ",") != "File,View,Tools,Window,Help" {
			t.Errorf("menus = %v", got)
		}
		var file []string
		for _, it := range menu.Items[0].Items {
			file = append(file, it.Label)
		}
		want := "New,Properties,Delete,,New Job…,Import Package Definition…,,Exit"
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
	a, st := newTestAdmin(t)
	src := t.TempDir()
	a.locked(func() {
		a.show(titlePackages)
		a.onNew() // File → New with Packages on top
		pp := mustDialog(t, a, "New Package")
		test.Type(fieldOf[*widget.Entry](t, pp, "Name"), "Hello")
		test.Type(fieldOf[*widget.Entry](t, pp, "Version"), "1.0")
		test.Type(fieldOf[*widget.Entry](t, pp, "Comment"), "says hello")

		test.Tap(buttonIn(t, pp, "Workstations…"))
		ws := mustDialog(t, a, "Workstations")
		test.Type(fieldOf[*widget.Entry](t, ws, "Source folder"), src)
		cd := newCommandLine(t, a, ws, "Install", "sh install.sh")
		test.Tap(checkIn(t, cd, "linux/amd64"))
		test.Tap(checkIn(t, cd, "linux/arm64"))
		test.Type(fieldOf[*widget.Entry](t, cd, "Time-out"), "30m")
		test.Tap(buttonIn(t, cd, "OK"))
		if dialogNamed(a, "New Command Line") != nil {
			t.Fatalf("command line refused: %s", shownError(cd))
		}
		test.Tap(buttonIn(t, ws, "OK"))
		if dialogNamed(a, "Workstations") != nil {
			t.Fatalf("workstations refused: %s", shownError(ws))
		}
		test.Tap(buttonIn(t, pp, "OK"))
	})
	var pkgs []model.Package
	waitFor(t, a, "the package in the store and the dialog closed", func() bool {
		pkgs, _ = st.ListPackages(context.Background())
		return len(pkgs) == 1 && dialogNamed(a, "New Package") == nil
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

func TestPackagePropertiesBadFieldShowsTheAPIsSentenceAndStoresNothing(t *testing.T) {
	a, st := newTestAdmin(t)
	_, want := a.api.AddPackage(context.Background(), model.Package{Name: "Hello"})
	if want == nil {
		t.Fatal("the API takes a package without a source")
	}
	var pp fyne.CanvasObject
	a.locked(func() {
		a.packages.onNew()
		pp = mustDialog(t, a, "New Package")
		test.Type(fieldOf[*widget.Entry](t, pp, "Name"), "Hello")
		test.Tap(buttonIn(t, pp, "OK")) // no source folder
	})
	waitFor(t, a, "the API's sentence", func() bool { return shownError(pp) == want.Error() })
	a.locked(func() {
		if dialogNamed(a, "New Package") == nil {
			t.Error("the dialog closed on a bad field")
		}

		// A bad command line is refused in its own dialog.
		test.Tap(buttonIn(t, pp, "Workstations…"))
		ws := mustDialog(t, a, "Workstations")
		cd := newCommandLine(t, a, ws, "Install", "sh install.sh")
		test.Tap(buttonIn(t, cd, "OK")) // no platform
		c := model.CommandLine{Name: "Install", Command: "sh install.sh", Automated: true}
		c.ApplyDefaults()
		if want, got := c.Validate().Error(), shownError(cd); got != want {
			t.Errorf("command line error = %q, want %q", got, want)
		}
		if dialogNamed(a, "New Command Line") == nil {
			t.Error("the command line dialog closed on a bad field")
		}
		if labelText(ws, "sh install.sh") {
			t.Error("a refused command line was added")
		}
	})
	if ps, _ := st.ListPackages(context.Background()); len(ps) != 0 {
		t.Errorf("stored %d packages after a bad field", len(ps))
	}
}
