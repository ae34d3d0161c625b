package demo_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"opensms/core/demo"
	"opensms/core/model"
	"opensms/storage/badgerstore"
)

func openStore(t *testing.T) (model.Store, string) {
	t.Helper()
	dir := t.TempDir()
	st, err := badgerstore.Open(dir, badgerstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, dir
}

func TestEnsureCreatesTheDemoOnce(t *testing.T) {
	ctx := context.Background()
	st, dir := openStore(t)
	created, err := demo.Ensure(ctx, st, dir)
	if err != nil || !created {
		t.Fatalf("Ensure on an empty store = %v, %v", created, err)
	}

	site, err := st.GetSite(ctx, demo.SiteCode)
	if err != nil {
		t.Fatal(err)
	}
	loc, err := model.ParseLocation(site.Share)
	if err != nil || !loc.IsLocal() || filepath.Base(loc.Path) != "site-share" {
		t.Fatalf("site share %q: %v", site.Share, err)
	}
	if fi, err := os.Stat(filepath.FromSlash(loc.Path)); err != nil || !fi.IsDir() {
		t.Errorf("site share folder: %v", err)
	}
	srv, err := st.GetServer(ctx, demo.SiteCode, demo.ServerName)
	if err != nil || !srv.Default || !strings.HasSuffix(srv.URL, "/demo/dist") {
		t.Fatalf("server = %+v, %v", srv, err)
	}
	pc, err := st.GetComputer(ctx, demo.ComputerName())
	if err != nil || pc.Site != demo.SiteCode || pc.Platform != model.Platform(runtime.GOOS+"/"+runtime.GOARCH) {
		t.Fatalf("computer = %+v, %v", pc, err)
	}
	if pc.Name != strings.ToUpper(pc.Name) {
		t.Errorf("computer name %q is not upper case", pc.Name)
	}
	pkgs, err := st.ListPackages(ctx)
	if err != nil || len(pkgs) != 1 {
		t.Fatalf("packages = %+v, %v", pkgs, err)
	}
	p := pkgs[0]
	if p.Name != demo.PackageName || p.Version != "1.0" || !strings.HasPrefix(p.ID, demo.SiteCode) || len(p.Commands) != 1 || !p.Commands[0].Automated {
		t.Fatalf("package = %+v", p)
	}
	if !slicesContain(p.Commands[0].Platforms, pc.Platform) {
		t.Errorf("the command line's platforms %v do not include this computer's %s", p.Commands[0].Platforms, pc.Platform)
	}
	for _, f := range []string{"install.sh", "install.cmd"} {
		if _, err := os.Stat(filepath.Join(p.Source, f)); err != nil {
			t.Errorf("demo package: %v", err)
		}
	}

	// Again: nothing new.
	created, err = demo.Ensure(ctx, st, dir)
	if err != nil || created {
		t.Fatalf("second Ensure = %v, %v", created, err)
	}
	if pkgs, _ := st.ListPackages(ctx); len(pkgs) != 1 {
		t.Errorf("second Ensure added packages: %d", len(pkgs))
	}
}

func slicesContain(ps []model.Platform, p model.Platform) bool {
	for _, q := range ps {
		if q == p {
			return true
		}
	}
	return false
}

func TestEnsureLeavesAStoreWithSitesAlone(t *testing.T) {
	ctx := context.Background()
	st, dir := openStore(t)
	if err := st.PutSite(ctx, model.Site{Code: "HQ1", Name: "Mine", Share: `smb://h/s`}); err != nil {
		t.Fatal(err)
	}
	created, err := demo.Ensure(ctx, st, dir)
	if err != nil || created {
		t.Fatalf("Ensure = %v, %v", created, err)
	}
	if sites, _ := st.ListSites(ctx); len(sites) != 1 {
		t.Errorf("sites = %+v", sites)
	}
	if _, err := os.Stat(filepath.Join(dir, "demo")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Ensure made the demo folder anyway: %v", err)
	}
}

// failingStore refuses to create packages, to see Ensure undo its writes.
type failingStore struct{ model.Store }

func (failingStore) CreatePackage(context.Context, model.Package) (model.Package, error) {
	return model.Package{}, errors.New("disk full")
}

func TestEnsureUndoesAHalfDemo(t *testing.T) {
	ctx := context.Background()
	st, dir := openStore(t)
	created, err := demo.Ensure(ctx, failingStore{st}, dir)
	if err == nil || created || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("Ensure with a failing store = %v, %v", created, err)
	}
	sites, _ := st.ListSites(ctx)
	servers, _ := st.ListServers(ctx, "")
	computers, _ := st.ListComputers(ctx, "")
	if len(sites)+len(servers)+len(computers) != 0 {
		t.Fatalf("left behind: %+v %+v %+v", sites, servers, computers)
	}
	if created, err := demo.Ensure(ctx, st, dir); err != nil || !created {
		t.Fatalf("Ensure after the failure = %v, %v", created, err)
	}
}

// The installer really writes its note into $HOME/opensms-demo.
func TestInstallScriptRuns(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("install.sh is for Unix; the client runs install.cmd on Windows")
	}
	ctx := context.Background()
	st, dir := openStore(t)
	if _, err := demo.Ensure(ctx, st, dir); err != nil {
		t.Fatal(err)
	}
	pkgs, _ := st.ListPackages(ctx)
	home := t.TempDir()
	cmd := exec.Command("sh", "-c", pkgs[0].Commands[0].Command)
	cmd.Dir = pkgs[0].Source
	cmd.Env = append(os.Environ(), "HOME="+home)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", pkgs[0].Commands[0].Command, err, out)
	}
	b, err := os.ReadFile(filepath.Join(home, "opensms-demo", "hello.txt"))
	if err != nil || !strings.HasPrefix(string(b), "Hello from OpenSMS") {
		t.Fatalf("hello.txt = %q, %v", b, err)
	}
}
