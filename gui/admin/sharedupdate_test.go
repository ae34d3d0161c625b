package admin

import (
	"context"
	"errors"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	adminapi "opensms/core/admin"
	"opensms/core/model"
)

// typeUpdate opens the Properties dialog of the record req changes, as the
// window shows it (read through the API; a computer deleted meanwhile as a
// stale tree still shows it), types req's values over the stored ones and
// presses OK; it returns the dialog that answers and its title.
func typeUpdate(t *testing.T, a *Admin, req any) (fyne.CanvasObject, string) {
	t.Helper()
	ctx := context.Background()
	retype := func(d fyne.CanvasObject, label, text string) {
		e := fieldOf[*widget.Entry](t, d, label)
		e.SetText("")
		test.Type(e, text)
	}
	switch r := req.(type) {
	case adminapi.SiteRequest:
		s, err := a.api.GetSite(ctx, r.Code)
		must(t, err)
		newSiteDialog(a, s.Site, false).show()
		d := mustDialog(t, a, "Site Properties")
		retype(d, "Name", r.Name)
		if r.Parent != "" {
			stale(fieldOf[*widget.Select](t, d, "Parent site"), r.Parent)
		}
		retype(d, "Site share", r.Share)
		retype(d, "User", r.Credentials.User)
		test.Tap(buttonIn(t, d, "OK"))
		return d, "Site Properties"
	case adminapi.ServerRequest:
		servers, err := a.api.ListServers(ctx, r.Site)
		must(t, err)
		for _, s := range servers {
			if s.Name == r.Name {
				newServerDialog(a, s, false).show()
			}
		}
		d := mustDialog(t, a, "Distribution Server Properties")
		retype(d, "Share", r.URL)
		retype(d, "User", r.Credentials.User)
		checkIn(t, d, "Default server (jobs put packages here unless told otherwise)").SetChecked(r.Default)
		test.Tap(buttonIn(t, d, "OK"))
		return d, "Distribution Server Properties"
	case adminapi.ComputerRequest:
		c, err := a.api.GetComputer(ctx, r.Name)
		if errors.Is(err, model.ErrNotFound) {
			c, err = model.Computer{Name: r.Name, Site: "S01", Platform: r.Platform}, nil
		}
		must(t, err)
		newComputerDialog(a, c, false).show()
		d := mustDialog(t, a, "Computer Properties")
		stale(fieldOf[*widget.Select](t, d, "Site"), r.Site)
		fieldOf[*widget.Select](t, d, "Platform").SetSelected(string(r.Platform))
		test.Tap(buttonIn(t, d, "OK"))
		return d, "Computer Properties"
	case adminapi.GroupRequest:
		g, err := a.api.GetGroup(ctx, r.OldName)
		must(t, err)
		newGroupDialog(a, g, false).show()
		d := mustDialog(t, a, "Machine Group Properties")
		retype(d, "Name", r.Name)
		test.Tap(buttonIn(t, d, "OK"))
		return d, "Machine Group Properties"
	case model.Package:
		p, err := a.api.GetPackage(ctx, r.ID)
		must(t, err)
		newPackageProps(a, p, nil).show()
		d := mustDialog(t, a, "Package Properties")
		test.Tap(buttonIn(t, d, "Workstations…"))
		ws := mustDialog(t, a, "Workstations")
		retype(ws, "Source folder", r.Source)
		test.Tap(buttonIn(t, ws, "OK"))
		if e := shownError(ws); e != "" {
			t.Fatalf("Workstations refused %q before the API was asked: %s", r.Source, e)
		}
		test.Tap(buttonIn(t, d, "OK"))
		return d, "Package Properties"
	}
	t.Fatalf("no dialog changes a %T", req)
	return nil, ""
}
