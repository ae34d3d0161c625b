// Package admintest holds the bad inputs that every front end of the
// Administrator API must refuse with the same sentence: one table, driven
// by smsctl's tests (as command lines) and the window's (as dialogs).
//
// A front end's test builds the Fixture through the API, then for each Case
// turns Req into what a user would type (flags, form fields), submits it
// and checks that the sentence shown holds Want whole and that nothing
// changed.
package admintest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"opensms/core/admin"
	"opensms/core/model"
)

// Password is the password the fixture's site and server use; no output
// may ever hold it.
const Password = "Tr0ub4dor&3-never-print-me"

// Fixture is the world the cases assume: site S01 with server dist1 and
// computer PC001, machine group Accounting holding PC001, and package
// Package (source Source) with one command line, Install.
type Fixture struct {
	Source  string // a folder that exists
	Package string // the package's ID
}

// Build makes the fixture through api, with dir as a scratch folder.
func Build(ctx context.Context, api admin.API, dir string) (Fixture, error) {
	fx := Fixture{Source: filepath.Join(dir, "src")}
	if err := os.MkdirAll(fx.Source, 0o755); err != nil {
		return fx, err
	}
	if err := os.WriteFile(filepath.Join(fx.Source, "install.sh"), []byte("echo hi\n"), 0o644); err != nil {
		return fx, err
	}
	cred := admin.Credentials{User: "smsadmin", Password: Password}
	if _, err := api.AddSite(ctx, admin.SiteRequest{Code: "S01", Name: "Head Office", Share: `\\siteserver\SMS_SITE`, Credentials: cred}); err != nil {
		return fx, err
	}
	if _, err := api.AddServer(ctx, admin.ServerRequest{Site: "S01", Name: "dist1", URL: `\\dist1\SMS_PKG`, Credentials: cred, Default: true}); err != nil {
		return fx, err
	}
	if _, err := api.AddComputer(ctx, admin.ComputerRequest{Name: "PC001", Site: "S01", Platform: "linux/amd64"}); err != nil {
		return fx, err
	}
	if _, err := api.AddGroup(ctx, admin.GroupRequest{Name: "Accounting", Members: []string{"PC001"}}); err != nil {
		return fx, err
	}
	p, err := api.AddPackage(ctx, model.Package{Name: "Hello", Version: "1.0", Source: fx.Source,
		Commands: []model.CommandLine{{Name: "Install", Command: "sh install.sh", Platforms: []model.Platform{"linux/amd64"}, Automated: true}}})
	if err != nil {
		return fx, err
	}
	fx.Package = p.ID
	return fx, nil
}

// Case is one bad input. Req is the request a front end makes of what the
// user typed: an admin.SiteRequest, admin.ServerRequest,
// admin.ComputerRequest or admin.GroupRequest (each to add), a
// model.Package (to add), a model.Job (to add), or an Update of a stored
// record. Want is the API's sentence, whole.
type Case struct {
	Name string
	Req  any
	Kind admin.Kind
	Want string
}

// Cases returns the table for the fixture fx: bad adds, then bad changes
// of the fixture's records (see Update).
func Cases(fx Fixture) []Case {
	share := `\\h\s`
	job := func(edit func(j *model.Job)) model.Job {
		j := model.Job{Package: fx.Package, Target: model.Target{Kind: model.TargetSite, Name: "S01"}}
		j.ApplyDefaults()
		edit(&j)
		return j
	}
	adds := []Case{
		{"site code too short", admin.SiteRequest{Code: "S1", Name: "X", Share: share}, admin.KindInvalid,
			`site code "S1" must be 3 letters or digits`},
		{"site exists", admin.SiteRequest{Code: "S01", Name: "X", Share: share}, admin.KindExists,
			"site S01 already exists"},
		{"site share relative", admin.SiteRequest{Code: "S03", Name: "X", Share: "relative/dir"}, admin.KindInvalid,
			`site share: location "relative/dir" is not \\host\share\folder, smb://host/share/folder or an absolute local folder`},
		{"parent missing", admin.SiteRequest{Code: "S03", Name: "X", Share: share, Parent: "S09"}, admin.KindNotFound,
			"parent site S09 does not exist"},
		{"password without user", admin.SiteRequest{Code: "S03", Name: "X", Share: share, Credentials: admin.Credentials{Password: Password}}, admin.KindInvalid,
			"a password needs a user: give the user name, or smb://user@host/share"},
		{"user on a local site share", admin.SiteRequest{Code: "S03", Name: "X", Share: "file:///srv/site", Credentials: admin.Credentials{User: "u"}}, admin.KindInvalid,
			"/srv/site is a local folder, which takes no user or password"},

		{"server site missing", admin.ServerRequest{Site: "S09", Name: "d", URL: share}, admin.KindNotFound,
			"site S09 does not exist"},
		{"server exists", admin.ServerRequest{Site: "S01", Name: "DIST1", URL: share}, admin.KindExists,
			"server DIST1 in site S01 already exists"},
		{"server name with a space", admin.ServerRequest{Site: "S01", Name: "bad name", URL: share}, admin.KindInvalid,
			`server name "bad name" must be 1 to 63 letters, digits, '-', '_' or '.'`},
		{"user on a local server folder", admin.ServerRequest{Site: "S01", Name: "d", URL: "file:///srv/pkgs", Credentials: admin.Credentials{User: "u"}}, admin.KindInvalid,
			"/srv/pkgs is a local folder, which takes no user or password"},

		{"computer exists", admin.ComputerRequest{Name: "pc001", Site: "S01", Platform: "linux/amd64"}, admin.KindExists,
			"computer PC001 already exists"},
		{"computer site missing", admin.ComputerRequest{Name: "PC009", Site: "S09", Platform: "linux/amd64"}, admin.KindNotFound,
			"site S09 does not exist"},

		{"group exists", admin.GroupRequest{Name: "accounting"}, admin.KindExists,
			"machine group accounting already exists"},
		{"group member unknown", admin.GroupRequest{Name: "Sales", Members: []string{"PC001", "PC404"}}, admin.KindInvalid,
			"PC404 is neither a computer nor a distribution server"},
		{"group member twice", admin.GroupRequest{Name: "Sales", Members: []string{"PC001", "pc001"}}, admin.KindInvalid,
			`machine group "Sales": member "pc001" is listed twice`},
		{"group without a name", admin.GroupRequest{Name: " "}, admin.KindInvalid,
			"machine group name must not be empty"},
		{"group query does not compile", admin.GroupRequest{Name: "Lab", Query: "installed ++ ("}, admin.KindInvalid,
			`group Lab: the query "installed ++ (" does not compile: unexpected token EOF at column 14`},
		{"group query names nothing", admin.GroupRequest{Name: "Lab", Query: "memroy_mb > 4096"}, admin.KindInvalid,
			`group Lab: the query "memroy_mb > 4096" does not compile: unknown name memroy_mb at column 1`},

		{"package without a name", model.Package{Version: "1", Source: fx.Source}, admin.KindInvalid,
			"package name must not be empty"},
		{"package source missing", model.Package{Name: "X", Version: "1", Source: filepath.Join(fx.Source, "nope")}, admin.KindInvalid,
			fmt.Sprintf("source folder %s does not exist", filepath.Join(fx.Source, "nope"))},

		{"job package missing", job(func(j *model.Job) { j.Package = "S0199999" }), admin.KindNotFound,
			"package S0199999 does not exist"},
		{"job site missing", job(func(j *model.Job) { j.Target.Name = "S09" }), admin.KindNotFound,
			"site S09 does not exist"},
		{"job group missing", job(func(j *model.Job) { j.Target = model.Target{Kind: model.TargetGroup, Name: "Nobody"} }), admin.KindNotFound,
			"machine group Nobody does not exist"},
		{"job command missing", job(func(j *model.Job) { j.Run.Command = "Nope" }), admin.KindInvalid,
			fmt.Sprintf(`package %s has no command line "Nope"; it has "Install"`, fx.Package)},
		{"job server group missing", job(func(j *model.Job) { j.Distribute.ServerGroup = "Nobody" }), admin.KindNotFound,
			"server group Nobody does not exist"},
	}
	return append(adds, updateCases(fx)...)
}

// Update asks to change a stored record rather than add one: Req is the
// whole record as the change leaves it, as an admin.SiteRequest,
// admin.ServerRequest, admin.ComputerRequest, admin.GroupRequest (OldName
// names the group a rename changes) or model.Package (with its ID).
type Update struct{ Req any }

// updateCases returns the bad changes of the fixture's records.
func updateCases(fx Fixture) []Case {
	missing := filepath.Join(fx.Source, "nope")
	keep := admin.Credentials{User: "smsadmin", KeepPassword: true}
	return []Case{
		{"site update parent missing", Update{admin.SiteRequest{Code: "S01", Name: "Head Office", Share: `\\siteserver\SMS_SITE`, Parent: "S09", Credentials: keep}}, admin.KindNotFound,
			"parent site S09 does not exist"},
		{"site update share relative", Update{admin.SiteRequest{Code: "S01", Name: "Head Office", Share: "relative/dir", Credentials: keep}}, admin.KindInvalid,
			`site share: location "relative/dir" is not \\host\share\folder, smb://host/share/folder or an absolute local folder`},
		{"server update user on a local folder", Update{admin.ServerRequest{Site: "S01", Name: "dist1", URL: "file:///srv/pkgs", Credentials: keep, Default: true}}, admin.KindInvalid,
			"/srv/pkgs is a local folder, which takes no user or password"},
		{"computer update site missing", Update{admin.ComputerRequest{Name: "PC001", Site: "S09", Platform: "linux/amd64"}}, admin.KindNotFound,
			"site S09 does not exist"},
		{"computer update unknown", Update{admin.ComputerRequest{Name: "PC404", Site: "S01", Platform: "linux/amd64"}}, admin.KindNotFound,
			"computer PC404 not found"},
		{"group rename to nothing", Update{admin.GroupRequest{OldName: "Accounting", Name: " ", Members: []string{"PC001"}}}, admin.KindInvalid,
			"machine group name must not be empty"},
		{"package source change missing", Update{model.Package{ID: fx.Package, Name: "Hello", Version: "1.0", Source: missing,
			Commands: []model.CommandLine{{Name: "Install", Command: "sh install.sh", Platforms: []model.Platform{"linux/amd64"}, Automated: true}}}}, admin.KindInvalid,
			fmt.Sprintf("source folder %s does not exist", missing)},
	}
}

// Call makes c's request of api.
func Call(ctx context.Context, api admin.API, c Case) error {
	var err error
	if u, ok := c.Req.(Update); ok {
		switch r := u.Req.(type) {
		case admin.SiteRequest:
			_, err = api.UpdateSite(ctx, r)
		case admin.ServerRequest:
			_, err = api.UpdateServer(ctx, r)
		case admin.ComputerRequest:
			_, err = api.UpdateComputer(ctx, r)
		case admin.GroupRequest:
			_, err = api.UpdateGroup(ctx, r)
		case model.Package:
			_, err = api.UpdatePackage(ctx, r)
		default:
			return fmt.Errorf("admintest: case %q updates a %T", c.Name, u.Req)
		}
		return err
	}
	switch r := c.Req.(type) {
	case admin.SiteRequest:
		_, err = api.AddSite(ctx, r)
	case admin.ServerRequest:
		_, err = api.AddServer(ctx, r)
	case admin.ComputerRequest:
		_, err = api.AddComputer(ctx, r)
	case admin.GroupRequest:
		_, err = api.AddGroup(ctx, r)
	case model.Package:
		_, err = api.AddPackage(ctx, r)
	case model.Job:
		_, err = api.AddJob(ctx, r)
	default:
		return fmt.Errorf("admintest: case %q has a request of type %T", c.Name, c.Req)
	}
	return err
}
