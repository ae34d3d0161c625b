package admin

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	adminapi "opensms/core/admin"
	"opensms/core/admin/admintest"
	"opensms/core/model"
)

// TestSharedBadInputs drives the table smsctl's tests drive too: each
// request is typed into its dialog, OK pressed, and the dialog must show the
// API's sentence, whole, stay open, and change nothing. A choice the window
// offers from a list (a site, a parent, a command line, a server group) is
// set to the missing name as a list gone stale would show it: another
// administrator deleted it while the dialog was open.
func TestSharedBadInputs(t *testing.T) { testSharedBadInputs(t, inProcess) }

func testSharedBadInputs(t *testing.T, how via) {
	var fx admintest.Fixture
	a, _, _ := openTestAdminVia(t, how, func(ctx context.Context, api adminapi.API) error {
		var err error
		fx, err = admintest.Build(ctx, api, t.TempDir())
		return err
	})
	before := snapshot(t, a.api)
	for _, tc := range admintest.Cases(fx) {
		t.Run(tc.Name, func(t *testing.T) {
			var d fyne.CanvasObject
			var title string
			a.locked(func() { d, title = typeRequest(t, a, fx, tc.Req) })
			waitFor(t, a, "the sentence", func() bool { return shownError(d) != "" })
			a.locked(func() {
				if got := shownError(d); got != tc.Want {
					t.Errorf("%s shows %q\nwant the API's %q", title, got, tc.Want)
				}
				if dialogNamed(a, title) == nil {
					t.Errorf("%s closed on bad input", title)
				}
				if strings.Contains(overlayText(a), admintest.Password) {
					t.Error("the dialog shows the password")
				}
				for a.win.Canvas().Overlays().Top() != nil {
					test.Tap(buttonIn(t, a.win.Canvas().Overlays().Top(), "Cancel"))
				}
			})
		})
	}
	if after := snapshot(t, a.api); after != before {
		t.Errorf("bad input changed the store:\nbefore: %s\nafter:  %s", before, after)
	}
}

// typeRequest opens the dialog that makes req, types req into it and
// presses OK; it returns the dialog that answers and its title.
func typeRequest(t *testing.T, a *Admin, fx admintest.Fixture, req any) (fyne.CanvasObject, string) {
	t.Helper()
	login := func(d fyne.CanvasObject, c adminapi.Credentials) {
		user := c.User
		if c.Domain != "" {
			user = c.Domain + `\` + user
		}
		test.Type(fieldOf[*widget.Entry](t, d, "User"), user)
		test.Type(fieldOf[*widget.Entry](t, d, "Password"), string(c.Password))
	}
	if u, ok := req.(admintest.Update); ok {
		return typeUpdate(t, a, u.Req)
	}
	switch r := req.(type) {
	case adminapi.SiteRequest:
		a.sites.newSite()
		d := mustDialog(t, a, "New Site")
		test.Type(fieldOf[*widget.Entry](t, d, "Site code"), r.Code)
		test.Type(fieldOf[*widget.Entry](t, d, "Name"), r.Name)
		if r.Parent != "" {
			stale(fieldOf[*widget.Select](t, d, "Parent site"), r.Parent)
		}
		test.Type(fieldOf[*widget.Entry](t, d, "Site share"), r.Share)
		login(d, r.Credentials)
		test.Tap(buttonIn(t, d, "OK"))
		return d, "New Site"
	case adminapi.ServerRequest:
		a.sites.newServer()
		d := mustDialog(t, a, "New Distribution Server")
		stale(fieldOf[*widget.Select](t, d, "Site"), r.Site)
		test.Type(fieldOf[*widget.Entry](t, d, "Name"), r.Name)
		test.Type(fieldOf[*widget.Entry](t, d, "Share"), r.URL)
		login(d, r.Credentials)
		checkIn(t, d, "Default server (jobs put packages here unless told otherwise)").SetChecked(r.Default)
		test.Tap(buttonIn(t, d, "OK"))
		return d, "New Distribution Server"
	case adminapi.ComputerRequest:
		a.sites.newComputer()
		d := mustDialog(t, a, "New Computer")
		test.Type(fieldOf[*widget.Entry](t, d, "Name"), r.Name)
		stale(fieldOf[*widget.Select](t, d, "Site"), r.Site)
		fieldOf[*widget.Select](t, d, "Platform").SetSelected(string(r.Platform))
		test.Tap(buttonIn(t, d, "OK"))
		return d, "New Computer"
	case adminapi.GroupRequest:
		a.groups.onNew()
		d := mustDialog(t, a, "New Machine Group")
		test.Type(fieldOf[*widget.Entry](t, d, "Name"), r.Name)
		for _, m := range r.Members {
			pickMember(t, pickerIn(t, d), m, true)
		}
		fieldOf[*widget.Entry](t, d, "Query").SetText(r.Query)
		test.Tap(buttonIn(t, d, "OK"))
		return d, "New Machine Group"
	case model.Package:
		a.packages.onNew()
		d := mustDialog(t, a, "New Package")
		test.Type(fieldOf[*widget.Entry](t, d, "Name"), r.Name)
		test.Type(fieldOf[*widget.Entry](t, d, "Version"), r.Version)
		test.Tap(buttonIn(t, d, "Workstations…"))
		ws := mustDialog(t, a, "Workstations")
		test.Type(fieldOf[*widget.Entry](t, ws, "Source folder"), r.Source)
		test.Tap(buttonIn(t, ws, "OK"))
		if e := shownError(ws); e != "" {
			t.Fatalf("Workstations refused %q before the API was asked: %s", r.Source, e)
		}
		test.Tap(buttonIn(t, d, "OK"))
		return d, "New Package"
	case model.Job:
		p, err := a.api.GetPackage(context.Background(), r.Package)
		if err != nil {
			p = model.Package{ID: r.Package} // deleted after the Packages window listed it
		}
		a.newJob(p, r.Target)
		d := mustDialog(t, a, "Job Details")
		if r.Run.Command != "" {
			stale(fieldOf[*widget.Select](t, d, "Command line"), r.Run.Command)
		}
		if g := r.Distribute.ServerGroup; g != "" {
			radio := all[*widget.RadioGroup](d)
			for _, rg := range radio {
				if slices.Contains(rg.Options, distModes[1]) {
					rg.SetSelected(distModes[1])
				}
			}
			for _, s := range all[*widget.Select](d) {
				if s.PlaceHolder == "(choose a machine group)" {
					stale(s, g)
				}
			}
		}
		test.Tap(buttonIn(t, d, "OK"))
		return d, "Job Details"
	}
	t.Fatalf("no dialog makes a %T", req)
	return nil, ""
}

// stale chooses value in sel as a list loaded before value was deleted
// offers it.
func stale(sel *widget.Select, value string) {
	if !slices.Contains(sel.Options, value) {
		sel.Options = append(sel.Options, value)
	}
	sel.SetSelected(value)
}

// snapshot is everything the API lists, to compare before and after.
func snapshot(t *testing.T, api adminapi.API) string {
	t.Helper()
	ctx := context.Background()
	sites, err1 := api.ListSites(ctx)
	servers, err2 := api.ListServers(ctx, "")
	comps, err3 := api.ListComputers(ctx, "")
	groups, err4 := api.ListGroups(ctx)
	pkgs, err5 := api.ListPackages(ctx)
	jobs, err6 := api.ListJobs(ctx)
	for _, err := range []error{err1, err2, err3, err4, err5, err6} {
		must(t, err)
	}
	return fmt.Sprint(len(sites), sites, len(servers), servers, len(comps), comps, len(groups), groups, len(pkgs), len(jobs))
}
