package badgerstore

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"opensms/core/model"
)

var ctx = context.Background()

// openStore opens a store in a fresh temporary directory and closes it when
// the test ends.
func openStore(t testing.TB) *Store {
	t.Helper()
	return openDir(t, t.TempDir())
}

func openDir(t testing.TB, dir string) *Store {
	t.Helper()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantErr checks that err matches kind and says want.
func wantErr(t testing.TB, err error, kind error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %q", want)
	}
	if !errors.Is(err, kind) {
		t.Errorf("error %q does not match %v", err, kind)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q, want it to say %q", err, want)
	}
}

func equal(t testing.TB, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func site(code, parent string) model.Site {
	return model.Site{Code: code, Name: "Site " + code, Parent: parent, Share: `\\siteserver\SMS_` + code,
		Credentials: model.Credentials{Domain: "LAB", User: "sms", Password: model.NewSecret("site-pw-" + code)},
		Created:     t0}
}

func pkg(name string) model.Package {
	c := model.CommandLine{Name: "Install", Command: "setup.exe /q", Platforms: []model.Platform{"windows/amd64"}, Automated: true}
	c.ApplyDefaults()
	return model.Package{Name: name, Version: "1.0", Source: "/srv/src/" + name, Commands: []model.CommandLine{c},
		Detection: []model.DetectionRule{{Kind: model.RuleFileExists, Path: "app.exe"}}}
}

func TestPackages(t *testing.T) {
	s := openStore(t)
	_, err := s.CreatePackage(ctx, pkg("7zip"))
	wantErr(t, err, model.ErrNotFound, "add a site first: package IDs start with the site code")
	_, err = s.HomeSite(ctx)
	wantErr(t, err, model.ErrNotFound, "add a site first")

	must(t, s.PutSite(ctx, site("S01", "")))
	must(t, s.PutSite(ctx, site("S02", "S01")))
	if home, err := s.HomeSite(ctx); err != nil || home != "S01" {
		t.Fatalf("HomeSite = %q, %v; want S01", home, err)
	}

	p, err := s.CreatePackage(ctx, pkg("7zip"))
	must(t, err)
	if p.ID != "S0100001" || p.Created.IsZero() || !p.Updated.Equal(p.Created) {
		t.Fatalf("created %+v; want ID S0100001 and times set", p)
	}
	got, err := s.GetPackage(ctx, p.ID)
	must(t, err)
	equal(t, "GetPackage", got, p)

	p2, err := s.CreatePackage(ctx, pkg("office"))
	must(t, err)
	if p2.ID != "S0100002" {
		t.Errorf("second package ID %s, want S0100002", p2.ID)
	}

	p.Version = "2.0"
	p.Created = time.Time{}
	must(t, s.UpdatePackage(ctx, p))
	got, err = s.GetPackage(ctx, p.ID)
	must(t, err)
	if got.Version != "2.0" || got.Created.IsZero() || !got.Updated.After(got.Created) {
		t.Errorf("after update: %+v", got)
	}

	all, err := s.ListPackages(ctx)
	must(t, err)
	if len(all) != 2 || all[0].ID != "S0100001" || all[1].ID != "S0100002" {
		t.Errorf("ListPackages = %+v", all)
	}

	bad := pkg("")
	_, err = s.CreatePackage(ctx, bad)
	wantErr(t, err, model.ErrInvalid, "package name must not be empty")
	wantErr(t, s.UpdatePackage(ctx, model.Package{ID: "S0100007", Name: "x", Source: "/x"}), model.ErrNotFound, "package S0100007 not found")
	_, err = s.GetPackage(ctx, "S0100007")
	wantErr(t, err, model.ErrNotFound, "package S0100007 not found")

	must(t, s.DeletePackage(ctx, p2.ID))
	_, err = s.GetPackage(ctx, p2.ID)
	wantErr(t, err, model.ErrNotFound, "package S0100002 not found")
	wantErr(t, s.DeletePackage(ctx, p2.ID), model.ErrNotFound, "package S0100002 not found")
}

func TestSites(t *testing.T) {
	s := openStore(t)
	hq, br := site("HQ1", ""), site("BR1", "HQ1")
	wantErr(t, s.PutSite(ctx, br), model.ErrNotFound, "parent site HQ1 not found")
	must(t, s.PutSite(ctx, hq))
	must(t, s.PutSite(ctx, br))

	got, err := s.GetSite(ctx, "BR1")
	must(t, err)
	equal(t, "GetSite", got, br)
	if got.Credentials.Password.Reveal() != "site-pw-BR1" {
		t.Errorf("password not filled in: %q", got.Credentials.Password.Reveal())
	}
	all, err := s.ListSites(ctx)
	must(t, err)
	equal(t, "ListSites", all, []model.Site{br, hq})

	// A cycle is refused.
	hq.Parent = "BR1"
	wantErr(t, s.PutSite(ctx, hq), model.ErrInvalid, "site HQ1 cannot have parent BR1: BR1 is below HQ1")
	// A replaced site without a password loses it.
	br.Credentials = model.Credentials{}
	must(t, s.PutSite(ctx, br))
	got, err = s.GetSite(ctx, "BR1")
	must(t, err)
	equal(t, "site without password", got, br)

	wantErr(t, s.PutSite(ctx, site("S1", "")), model.ErrInvalid, `site code "S1" must be 3 letters or digits`)
	_, err = s.GetSite(ctx, "XX9")
	wantErr(t, err, model.ErrNotFound, "site XX9 not found")

	wantErr(t, s.DeleteSite(ctx, "HQ1"), model.ErrInUse, "site HQ1 is the parent of [BR1]: delete or move its sub-sites first")
	must(t, s.DeleteSite(ctx, "BR1"))
	must(t, s.DeleteSite(ctx, "HQ1"))
	wantErr(t, s.DeleteSite(ctx, "HQ1"), model.ErrNotFound, "site HQ1 not found")
	// The home site stays what it was.
	if home, err := s.HomeSite(ctx); err != nil || home != "HQ1" {
		t.Errorf("HomeSite after deleting = %q, %v", home, err)
	}
}

// A package's source password lives apart from its record, comes back
// with Get and List, is replaced and cleared by Update and goes with the
// package.
func TestPackageSourcePassword(t *testing.T) {
	s := openStore(t)
	must(t, s.PutSite(ctx, site("S01", "")))
	p := pkg("tools")
	p.Source = `\\files\pkgsrc\tools`
	p.SourceCredentials = model.Credentials{Domain: "LAB", User: "reader", Password: model.NewSecret("src-pw-tools")}
	p, err := s.CreatePackage(ctx, p)
	must(t, err)
	got, err := s.GetPackage(ctx, p.ID)
	must(t, err)
	if got.SourceCredentials.Password.Reveal() != "src-pw-tools" || got.SourceCredentials.User != "reader" {
		t.Errorf("GetPackage: source login %s\\%s, password filled: %v", got.SourceCredentials.Domain, got.SourceCredentials.User, got.SourceCredentials.Password.Reveal() == "src-pw-tools")
	}
	var raw []byte
	must(t, s.view(ctx, func(txn *badger.Txn) error {
		item, err := txn.Get(key(prefixPackage, p.ID))
		if err != nil {
			return err
		}
		raw, err = item.ValueCopy(nil)
		return err
	}))
	if strings.Contains(string(raw), "src-pw-tools") {
		t.Errorf("the package record holds the password: %s", raw)
	}
	all, err := s.ListPackages(ctx)
	must(t, err)
	if len(all) != 1 || all[0].SourceCredentials.Password.Reveal() != "src-pw-tools" {
		t.Errorf("ListPackages does not fill the source password")
	}

	got.SourceCredentials.Password = model.Secret{}
	must(t, s.UpdatePackage(ctx, got))
	got, err = s.GetPackage(ctx, p.ID)
	must(t, err)
	if !got.SourceCredentials.Password.IsZero() {
		t.Error("an update without a password kept the old one")
	}
	got.SourceCredentials.Password = model.NewSecret("src-pw-2")
	must(t, s.UpdatePackage(ctx, got))
	must(t, s.DeletePackage(ctx, p.ID))
	must(t, s.view(ctx, func(txn *badger.Txn) error {
		if _, err := txn.Get(key(prefixPackagePassword, p.ID)); !errors.Is(err, badger.ErrKeyNotFound) {
			t.Errorf("the source password outlived its package: %v", err)
		}
		return nil
	}))
}
