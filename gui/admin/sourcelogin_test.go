//go:build !windows

package admin

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"opensms/core/model"
	"opensms/storage/sambatest"
)

// The Workstations dialog takes a source on a share with its user and
// password and connects to it at once on OK, in process and through a site
// service: a wrong password is the API's sentence in the dialog (never the
// password), which stays open, and nothing is stored; the right one lets
// Package Properties store the package with its password, which an edit
// that leaves the field empty keeps.
func TestWorkstationsSourceOnAShare(t *testing.T) {
	smb := sambatest.Start(t, sambatest.Options{Shares: []string{"SRC"}})
	must(t, os.MkdirAll(filepath.Join(smb.Dir("SRC"), "tools"), 0o755))
	cred := smb.Credentials()
	src := fmt.Sprintf(`\\127.0.0.1:%d\SRC\tools`, smb.Port())
	const wrong = "Wrong-Source-Pw-9"
	for _, how := range []struct {
		name string
		via  via
	}{{"in process", inProcess}, {"attached", attached}} {
		t.Run(how.name, func(t *testing.T) {
			a, st, _ := openTestAdminVia(t, how.via, seedSite)
			var pp, ws fyne.CanvasObject
			a.locked(func() {
				pp, ws = newPackageWith(t, a, "Tools", src)
				test.Type(fieldOf[*widget.Entry](t, ws, "Source user"), cred.User)
				test.Type(fieldOf[*widget.Entry](t, ws, "Source password"), wrong)
				cd := newCommandLine(t, a, ws, "Install", "sh install.sh")
				test.Tap(checkIn(t, cd, "linux/amd64"))
				test.Tap(buttonIn(t, cd, "OK"))
				test.Tap(buttonIn(t, ws, "OK"))
			})
			// Workstations connects at once and stays open with the sentence.
			waitFor(t, a, "the refusal", func() bool { return strings.Contains(shownError(ws), "refused the login as "+cred.User) })
			a.locked(func() {
				if strings.Contains(shownError(ws), wrong) {
					t.Errorf("the dialog shows the password: %s", shownError(ws))
				}
				if dialogNamed(a, "Workstations") == nil {
					t.Error("Workstations closed on a refused source")
				}
			})
			if ps, _ := st.ListPackages(context.Background()); len(ps) != 0 {
				t.Fatalf("a refused source stored %d packages", len(ps))
			}
			a.locked(func() {
				pwField := fieldOf[*widget.Entry](t, ws, "Source password")
				pwField.SetText("")
				test.Type(pwField, cred.Password.Reveal())
				test.Tap(buttonIn(t, ws, "OK"))
			})
			waitFor(t, a, "Workstations to close", func() bool { return dialogNamed(a, "Workstations") == nil })
			a.locked(func() { test.Tap(buttonIn(t, pp, "OK")) })
			waitFor(t, a, "the package", func() bool { return dialogNamed(a, "New Package") == nil || shownError(pp) != "" })
			a.locked(func() {
				if got := shownError(pp); got != "" {
					t.Fatalf("refused: %s", got)
				}
			})
			ps, err := st.ListPackages(context.Background())
			must(t, err)
			if len(ps) != 1 || ps[0].Source != src || ps[0].SourceCredentials.User != cred.User || ps[0].SourceCredentials.Password.Reveal() != cred.Password.Reveal() {
				t.Fatalf("stored %+v", ps)
			}

			// Edit: the password field stays empty; the stored one is kept.
			p := ps[0]
			a.locked(func() {
				newPackageProps(a, mustGet(t, a, p.ID), nil).show()
				pp := mustDialog(t, a, "Package Properties")
				test.Tap(buttonIn(t, pp, "Workstations…"))
				ws := mustDialog(t, a, "Workstations")
				if got := fieldOf[*widget.Entry](t, ws, "Source user").Text; got != cred.User {
					t.Errorf("Source user shows %q", got)
				}
				test.Tap(buttonIn(t, ws, "OK"))
				test.Type(fieldOf[*widget.Entry](t, pp, "Comment"), "edited")
				test.Tap(buttonIn(t, pp, "OK"))
			})
			waitFor(t, a, "the edit", func() bool {
				got, _ := st.GetPackage(context.Background(), p.ID)
				return got.Comment == "edited"
			})
			got, _ := st.GetPackage(context.Background(), p.ID)
			if got.SourceCredentials.Password.Reveal() != cred.Password.Reveal() {
				t.Error("the edit lost the source password")
			}
		})
	}
}

// mustGet reads a package through the window's API, as the Packages window
// does before it opens Package Properties.
func mustGet(t *testing.T, a *Admin, id string) model.Package {
	t.Helper()
	p, err := a.api.GetPackage(context.Background(), id)
	must(t, err)
	return p
}
