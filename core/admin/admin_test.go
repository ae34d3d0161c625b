package admin_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"opensms/core/admin"
	"opensms/core/admin/admintest"
	"opensms/core/model"
	"opensms/core/watchdog"
	"opensms/storage/badgerstore"
	"opensms/storage/shares"
)

var bg = context.Background()

// rig is the API over a real Badger store in a temp dir, with the fixture
// the shared bad-input table assumes.
type rig struct {
	t   *testing.T
	st  model.Store
	wd  *watchdog.Service
	api *admin.Local
	fx  admintest.Fixture
	dir string
}

func newRig(t *testing.T) *rig {
	t.Helper()
	dir := t.TempDir()
	st, err := badgerstore.Open(filepath.Join(dir, "data"), badgerstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	wd := watchdog.New(st, shares.NewOpener(), watchdog.Config{})
	r := &rig{t: t, st: st, wd: wd, api: admin.New(st, wd, shares.NewOpener()), dir: dir}
	if r.fx, err = admintest.Build(bg, r.api, dir); err != nil {
		t.Fatal(err)
	}
	return r
}

// snapshot is every list as JSON: what a refusal must leave unchanged.
func (r *rig) snapshot() string {
	r.t.Helper()
	var b strings.Builder
	add := func(v any, err error) {
		if err != nil {
			r.t.Fatal(err)
		}
		j, _ := json.Marshal(v)
		b.Write(j)
	}
	add(r.api.ListSites(bg))
	add(r.api.ListServers(bg, ""))
	add(r.api.ListComputers(bg, ""))
	add(r.api.ListGroups(bg))
	add(r.api.ListPackages(bg))
	add(r.api.ListJobs(bg))
	return b.String()
}

// wantRefused checks that err is an *admin.Error of kind with exactly the
// sentence want.
func wantRefused(t *testing.T, err error, kind admin.Kind, want string) {
	t.Helper()
	var e *admin.Error
	if !errors.As(err, &e) {
		t.Fatalf("want an *admin.Error %s %q, got %T %v", kind, want, err, err)
	}
	if e.Kind != kind || e.Sentence != want {
		t.Errorf("got %s %q\nwant %s %q", e.Kind, e.Sentence, kind, want)
	}
}

// TestSharedBadInputs runs the table both front ends run, at the API: each
// case is refused with its sentence and kind, and changes nothing.
func TestSharedBadInputs(t *testing.T) {
	r := newRig(t)
	before := r.snapshot()
	for _, c := range admintest.Cases(r.fx) {
		t.Run(c.Name, func(t *testing.T) {
			wantRefused(t, admintest.Call(bg, r.api, c), c.Kind, c.Want)
		})
	}
	if after := r.snapshot(); after != before {
		t.Errorf("bad input changed the store:\nbefore %s\nafter  %s", before, after)
	}
}

// TestDuplicatesRefusedAtomically: many adds of one name at once, and
// exactly one succeeds; the others are told it exists.
func TestDuplicatesRefusedAtomically(t *testing.T) {
	r := newRig(t)
	for _, tc := range []struct {
		name string
		add  func() error
	}{
		{"site", func() error {
			_, err := r.api.AddSite(bg, admin.SiteRequest{Code: "S02", Name: "Branch", Share: `\\h\branch`})
			return err
		}},
		{"server", func() error {
			_, err := r.api.AddServer(bg, admin.ServerRequest{Site: "S01", Name: "dist2", URL: `\\dist2\p`})
			return err
		}},
		{"computer", func() error {
			_, err := r.api.AddComputer(bg, admin.ComputerRequest{Name: "PC002", Site: "S01"})
			return err
		}},
		{"group", func() error {
			_, err := r.api.AddGroup(bg, admin.GroupRequest{Name: "Sales"})
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const n = 8
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() { errs[i] = tc.add() })
			}
			wg.Wait()
			ok := 0
			for _, err := range errs {
				switch {
				case err == nil:
					ok++
				case !errors.Is(err, model.ErrExists):
					t.Errorf("want already exists, got %v", err)
				}
			}
			if ok != 1 {
				t.Errorf("%d of %d adds succeeded, want 1", ok, n)
			}
		})
	}
}

// TestReferencesCheckedOnDelete: a package, a server or a group that a job
// which has not finished uses is refused, naming the job; once the job is
// canceled the delete goes through.
func TestReferencesCheckedOnDelete(t *testing.T) {
	r := newRig(t)
	must(t)(r.api.AddGroup(bg, admin.GroupRequest{Name: "Servers", Members: []string{"dist1"}}))
	must(t)(r.api.AddServer(bg, admin.ServerRequest{Site: "S01", Name: "dist2", URL: `\\dist2\p`}))
	created, err := r.api.AddJob(bg, model.Job{Package: r.fx.Package, Target: model.Target{Kind: model.TargetGroup, Name: "Accounting"},
		Distribute: model.Distribute{ServerGroup: "Servers"}})
	if err != nil {
		t.Fatal(err)
	}
	j := created.Job
	// The job is under way: it is copying to dist2.
	j.Status.State = model.JobActive
	j.Status.Servers = map[string]model.ServerStatus{"S01/dist2": {Server: "S01/dist2", State: model.PhaseActive}}
	if err := r.st.UpdateJob(bg, j); err != nil {
		t.Fatal(err)
	}
	holds := fmt.Sprintf("job %s, which is active: cancel it or wait until it finishes", j.ID)
	for _, tc := range []struct {
		name string
		del  func() error
		want string
	}{
		{"package", func() error { return r.api.DeletePackage(bg, r.fx.Package) }, fmt.Sprintf("package %s is used by %s", r.fx.Package, holds)},
		{"server", func() error { return r.api.DeleteServer(bg, "S01", "DIST2") }, "server dist2 of site S01 is used by " + holds},
		{"target group", func() error { return r.api.DeleteGroup(bg, "accounting") }, `machine group "accounting" is used by ` + holds},
		{"server group", func() error { return r.api.DeleteGroup(bg, "Servers") }, `machine group "Servers" is used by ` + holds},
		{"renamed group", func() error {
			_, err := r.api.UpdateGroup(bg, admin.GroupRequest{OldName: "Servers", Name: "Servers2", Members: []string{"dist1"}})
			return err
		}, `machine group "Servers" is used by ` + holds},
	} {
		t.Run(tc.name, func(t *testing.T) { wantRefused(t, tc.del(), admin.KindInUse, tc.want) })
	}
	if err := r.api.CancelJob(bg, j.ID); err != nil {
		t.Fatal(err)
	}
	for _, del := range []func() error{
		func() error { return r.api.DeleteServer(bg, "S01", "dist2") },
		func() error { return r.api.DeleteGroup(bg, "Accounting") },
		func() error { return r.api.DeleteGroup(bg, "Servers") },
		func() error { return r.api.DeletePackage(bg, r.fx.Package) },
	} {
		if err := del(); err != nil {
			t.Errorf("after the job was canceled: %v", err)
		}
	}
}

// TestGroupMembersMustExist: members are computers or servers, stored as
// their records spell them; an unknown one is refused on add, change and
// add-member.
func TestGroupMembersMustExist(t *testing.T) {
	r := newRig(t)
	g, err := r.api.AddGroup(bg, admin.GroupRequest{Name: "Mixed", Members: []string{"pc001", "DIST1"}})
	if err != nil || strings.Join(g.Members, ",") != "PC001,dist1" {
		t.Fatalf("AddGroup = %v, %v; want members PC001,dist1", g.Members, err)
	}
	const unknown = "PC999 is neither a computer nor a distribution server"
	_, err = r.api.UpdateGroup(bg, admin.GroupRequest{Name: "Mixed", Members: []string{"PC999"}})
	wantRefused(t, err, admin.KindInvalid, unknown)
	_, err = r.api.AddMembers(bg, "Mixed", []string{"PC999"})
	wantRefused(t, err, admin.KindInvalid, unknown)
	_, err = r.api.RemoveMembers(bg, "Mixed", []string{"PC404"})
	wantRefused(t, err, admin.KindInvalid, "PC404 is not a member of group Mixed")
	_, err = r.api.AddMembers(bg, "Nope", []string{"PC001"})
	wantRefused(t, err, admin.KindNotFound, `machine group "Nope" not found`)
	if g, _ := r.api.GetGroup(bg, "Mixed"); strings.Join(g.Members, ",") != "PC001,dist1" {
		t.Errorf("refusals changed the group: %v", g.Members)
	}
}

// TestCredentials: the login as typed becomes the stored credentials; an
// edit that leaves the password empty keeps it.
func TestCredentials(t *testing.T) {
	r := newRig(t)
	for _, tc := range []struct {
		name              string
		share             string
		cred              admin.Credentials
		user, domain, url string
		password          bool
	}{
		{"user in the URL", "smb://CORP;alice@h/s/dir", admin.Credentials{Password: "pw"}, "alice", "CORP", "smb://h/s/dir", true},
		{"domain in the user", `\\h\s`, admin.Credentials{User: `CORP\bob`, Password: "pw"}, "bob", "CORP", "smb://h/s", true},
		{"user field wins", "smb://alice@h/s", admin.Credentials{User: "carol"}, "carol", "", "smb://h/s", false},
		{"local folder", "file:///srv/site2", admin.Credentials{}, "", "", "file:///srv/site2", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := r.api.AddServer(bg, admin.ServerRequest{Site: "S01", Name: strings.ReplaceAll(tc.name, " ", "-"), URL: tc.share, Credentials: tc.cred})
			if err != nil {
				t.Fatal(err)
			}
			if s.Credentials.User != tc.user || s.Credentials.Domain != tc.domain || s.URL != tc.url || s.Credentials.Password.IsZero() == tc.password {
				t.Errorf("got %+v", s)
			}
		})
	}
	// Editing the site without touching the password keeps it.
	s, err := r.api.UpdateSite(bg, admin.SiteRequest{Code: "S01", Name: "Renamed", Share: `\\siteserver\SMS_SITE`,
		Credentials: admin.Credentials{User: "smsadmin", KeepPassword: true}})
	if err != nil || s.Credentials.Password.Reveal() != admintest.Password {
		t.Fatalf("UpdateSite kept password %v, err %v", !s.Credentials.Password.IsZero(), err)
	}
	d, _ := r.api.GetSite(bg, "S01")
	if d.Site.Name != "Renamed" || d.Site.Credentials.Password.Reveal() != admintest.Password {
		t.Errorf("stored site = %+v", d.Site)
	}
	// The password never reaches JSON, and Password never prints.
	b, _ := json.Marshal(d)
	if strings.Contains(string(b), admintest.Password) || strings.Contains(fmt.Sprintf("%v %+v %#v", admin.Password("x-secret"), admin.Credentials{Password: "x-secret"}, admin.Password("x-secret")), "x-secret") {
		t.Errorf("a password printed")
	}
}

// TestShareErrorsExplained: Test connection says what works or, in one
// sentence, what failed and what to check.
func TestShareErrorsExplained(t *testing.T) {
	r := newRig(t)
	good := t.TempDir()
	msg, err := r.api.TestServer(bg, admin.ServerRequest{Site: "S01", Name: "local", URL: good})
	if err != nil || !strings.HasPrefix(msg, "Connected to ") || !strings.Contains(msg, "can be written to") {
		t.Errorf("TestServer on a writable folder = %q, %v", msg, err)
	}
	missing := filepath.Join(good, "nope")
	_, err = r.api.TestServer(bg, admin.ServerRequest{Site: "S01", Name: "local", URL: missing})
	wantRefused(t, err, admin.KindUnavailable, "the folder "+missing+" does not exist")
	_, err = r.api.TestServer(bg, admin.ServerRequest{Site: "S01", Name: "far", URL: "smb://127.0.0.1:1/SHARE", Credentials: admin.Credentials{User: "u", Password: "p"}})
	var e *admin.Error
	if !errors.As(err, &e) || e.Kind != admin.KindUnavailable || !strings.HasPrefix(e.Sentence, "nothing answers at 127.0.0.1:1: the server is off, the port is wrong or a firewall is in the way") {
		t.Errorf("TestServer on a closed port = %v", err)
	}
	if _, err := os.Stat(good); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(good)
	if len(entries) != 0 {
		t.Errorf("Test connection left %d files behind", len(entries))
	}
}

// TestErrorsCrossAWire: an error that went through JSON keeps its kind and
// its sentence, and errors.Is still finds the model's sentinel.
func TestErrorsCrossAWire(t *testing.T) {
	r := newRig(t)
	for _, tc := range []struct {
		err      error
		sentinel error
	}{
		{getErr(r.api.GetSite(bg, "S09")), model.ErrNotFound},
		{getErr(r.api.AddSite(bg, admin.SiteRequest{Code: "S01", Name: "X", Share: `\\h\s`})), model.ErrExists},
		{r.api.DeleteSite(bg, "S01"), model.ErrInUse},
		{getErr(r.api.AddComputer(bg, admin.ComputerRequest{Name: "bad name", Site: "S01"})), model.ErrInvalid},
	} {
		b, err := json.Marshal(tc.err)
		if err != nil {
			t.Fatal(err)
		}
		var back admin.Error
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if !errors.Is(&back, tc.sentinel) || back.Error() != tc.err.Error() || admin.KindOf(&back) != admin.KindOf(tc.err) {
			t.Errorf("%s came back as %+v", b, back)
		}
	}
}

func getErr[T any](_ T, err error) error { return err }

// must fails the test on a call's error: must(t)(api.AddSite(…)).
func must(t *testing.T) func(any, error) {
	return func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestJobs: warnings on create, only a pending job changes, cancel and
// delete say which job is missing, and status lists the computers.
func TestJobs(t *testing.T) {
	r := newRig(t)
	must(t)(r.api.AddGroup(bg, admin.GroupRequest{Name: "WithServer", Members: []string{"PC001", "dist1"}}))
	created, err := r.api.AddJob(bg, model.Job{Package: r.fx.Package, Target: model.Target{Kind: model.TargetGroup, Name: "WithServer"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"dist1 in machine group WithServer is not a computer: the job leaves it out"}; fmt.Sprint(created.Warnings) != fmt.Sprint(want) {
		t.Errorf("warnings = %q, want %q", created.Warnings, want)
	}
	j := created.Job
	if j.Run.Command != "Install" || j.Status.State != model.JobPending || j.Schedule.StartAfter.IsZero() {
		t.Errorf("created job = %+v", j)
	}
	must(t)(r.api.AddSite(bg, admin.SiteRequest{Code: "S02", Name: "Empty", Share: `\\h\empty`, Parent: "S01"}))
	c2, err := r.api.AddJob(bg, model.Job{Package: r.fx.Package, Target: model.Target{Kind: model.TargetSite, Name: "S02"}})
	if err != nil || fmt.Sprint(c2.Warnings) != "[Site S02 has no computers yet: the job reaches those that join while it lasts]" {
		t.Errorf("job on an empty site: %q, %v", c2.Warnings, err)
	}
	j.Comment = "changed"
	if _, err := r.api.UpdateJob(bg, j); err != nil {
		t.Fatal(err)
	}
	if err := r.api.CancelJob(bg, j.ID); err != nil {
		t.Fatal(err)
	}
	_, err = r.api.UpdateJob(bg, j)
	wantRefused(t, err, admin.KindInUse, fmt.Sprintf("job %s is canceled now and can no longer be changed", j.ID))
	wantRefused(t, r.api.CancelJob(bg, j.ID), admin.KindInvalid, fmt.Sprintf("job %s is already canceled: job has finished", j.ID))
	wantRefused(t, r.api.CancelJob(bg, "S0199999"), admin.KindNotFound, "job S0199999 does not exist")
	wantRefused(t, r.api.DeleteJob(bg, "S0199999"), admin.KindNotFound, "job S0199999 does not exist")
	_, err = r.api.GetJob(bg, "S0199999")
	wantRefused(t, err, admin.KindNotFound, "job S0199999 does not exist")
	st, err := r.api.GetJob(bg, j.ID)
	if err != nil || st.Job.Comment != "changed" || st.Computers == nil {
		t.Errorf("GetJob = %+v, %v", st, err)
	}
	jobs, _ := r.api.ListJobs(bg)
	if len(jobs) != 2 || jobs[0].ID != c2.Job.ID {
		t.Errorf("ListJobs is not newest first: %v", jobs)
	}
	if err := r.api.DeleteJob(bg, j.ID); err != nil {
		t.Fatal(err)
	}
}

// TestCycleWithoutARunningWatchdog runs a cycle in process, as smsctl does
// with no site service, over local folders: the job is activated, packed,
// put on the server and offered, and Watch sees it happen.
func TestCycleWithoutARunningWatchdog(t *testing.T) {
	r := newRig(t)
	site, dist := filepath.Join(r.dir, "site"), filepath.Join(r.dir, "dist")
	for _, d := range []string{site, dist} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	must(t)(r.api.AddSite(bg, admin.SiteRequest{Code: "L01", Name: "Local", Share: site}))
	must(t)(r.api.AddServer(bg, admin.ServerRequest{Site: "L01", Name: "ldist", URL: dist, Default: true}))
	must(t)(r.api.AddComputer(bg, admin.ComputerRequest{Name: "LPC1", Site: "L01", Platform: "linux/amd64"}))
	ctx, cancel := context.WithCancel(bg)
	changes, err := r.api.Watch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	created, err := r.api.AddJob(bg, model.Job{Package: r.fx.Package, Target: model.Target{Kind: model.TargetComputer, Name: "LPC1"}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.api.RunCycle(bg)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, e := range res.Events {
		lines = append(lines, e.Message)
	}
	all := strings.Join(lines, "\n")
	for _, want := range []string{"activated", "offered to 1 computer"} {
		if !strings.Contains(all, want) {
			t.Errorf("the cycle's events lack %q:\n%s", want, all)
		}
	}
	st, err := r.api.GetJob(bg, created.Job.ID)
	if err != nil || st.Job.Status.State != model.JobActive || len(st.Computers) != 1 || st.Computers[0].State != model.TargetOffered {
		t.Errorf("after the cycle: %+v, %v", st, err)
	}
	w, err := r.api.Watchdog(bg)
	if err != nil || w.Running {
		t.Errorf("Watchdog() = %+v, %v; it was never started", w, err)
	}
	sawJob := false
	deadline := time.After(time.Minute)
	for !sawJob {
		select {
		case c := <-changes:
			sawJob = c.Kind == watchdog.UpdateJob && c.Job != nil && c.Job.ID == created.Job.ID
		case <-deadline:
			t.Fatal("Watch delivered no change of the job")
		}
	}
	cancel()
	for range changes { // closes once ctx ends
	}
}

// TestImportAnyPlatform: Configuration Manager's file imports with a source
// alone (its programs run on any platform), and a dropped platform may be
// replaced by any platform.
func TestImportAnyPlatform(t *testing.T) {
	r := newRig(t)
	read := func(name string) admin.DefinitionRequest {
		b, err := os.ReadFile(filepath.Join("..", "pdf", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return admin.DefinitionRequest{Name: name, Data: b}
	}
	def, err := r.api.ImportDefinition(bg, admin.ImportRequest{DefinitionRequest: read("test-application.sms"), Source: r.dir})
	if err != nil {
		t.Fatal(err)
	}
	if p := def.Package; p.ID == "" || len(p.Commands) != 2 || !p.Commands[0].AnyPlatform || !p.Commands[1].AnyPlatform || len(p.Detection) != 1 {
		t.Errorf("imported %+v", p)
	}
	def, err = r.api.ImportDefinition(bg, admin.ImportRequest{DefinitionRequest: read("driverpack.sms"), Source: r.dir, AnyPlatform: true})
	if err != nil {
		t.Fatal(err)
	}
	itanium, _ := def.Package.Command("Itanium Install")
	silent, _ := def.Package.Command("Silent Install")
	if !itanium.AnyPlatform || silent.AnyPlatform || len(silent.Platforms) != 2 {
		t.Errorf("any platform given for the unmapped command line: itanium %+v, silent %+v", itanium, silent)
	}
}
