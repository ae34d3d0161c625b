package badgerstore

import (
	"crypto/ed25519"
	"fmt"
	"strings"
	"testing"
	"time"

	"opensms/core/model"
)

func server(site, name string) model.Server {
	return model.Server{Site: site, Name: name, URL: "smb://dist-" + strings.ToLower(name) + "/SMS_PKG",
		Credentials: model.Credentials{User: "pusher", Password: model.NewSecret("server-pw-" + name)}, Default: true}
}

func job(pkgID string) model.Job {
	j := model.Job{Package: pkgID, Target: model.Target{Kind: model.TargetSite, Name: "S01"}, Created: t0}
	j.ApplyDefaults()
	j.Run.Command = "Install"
	return j
}

// withSite returns a store whose home site is S01.
func withSite(t testing.TB) *Store {
	t.Helper()
	s := openStore(t)
	must(t, s.PutSite(ctx, site("S01", "")))
	return s
}

func TestServers(t *testing.T) {
	s := withSite(t)
	must(t, s.PutSite(ctx, site("S02", "S01")))
	wantErr(t, s.PutServer(ctx, server("S09", "DIST1")), model.ErrNotFound, "site S09 not found")
	wantErr(t, s.PutServer(ctx, model.Server{Site: "S01", Name: "bad name", URL: "/x"}), model.ErrInvalid, `server name "bad name"`)

	d1, d2, d3 := server("S01", "DIST1"), server("S01", "dist2"), server("S02", "DIST1")
	d3.Credentials = model.Credentials{}
	for _, sv := range []model.Server{d1, d2, d3} {
		must(t, s.PutServer(ctx, sv))
	}
	got, err := s.GetServer(ctx, "S01", "dist1")
	must(t, err)
	equal(t, "GetServer ignoring case", got, d1)
	if got.Credentials.Password.Reveal() != "server-pw-DIST1" {
		t.Errorf("password not filled in")
	}
	list, err := s.ListServers(ctx, "S01")
	must(t, err)
	equal(t, "ListServers(S01)", list, []model.Server{d1, d2})
	list, err = s.ListServers(ctx, "")
	must(t, err)
	equal(t, "ListServers()", list, []model.Server{d1, d2, d3})

	wantErr(t, s.DeleteSite(ctx, "S02"), model.ErrInUse, "site S02 still has 1 distribution server(s): delete them first")
	must(t, s.DeleteServer(ctx, "S02", "Dist1"))
	wantErr(t, s.DeleteServer(ctx, "S02", "DIST1"), model.ErrNotFound, "server DIST1 of site S02 not found")
	_, err = s.GetServer(ctx, "S02", "DIST1")
	wantErr(t, err, model.ErrNotFound, "server DIST1 of site S02 not found")
	must(t, s.DeleteSite(ctx, "S02"))
}

func TestComputers(t *testing.T) {
	s := withSite(t)
	must(t, s.PutSite(ctx, site("S02", "S01")))
	inv := &model.Inventory{Computer: "PC1", Site: "S01", OS: "windows", Arch: "amd64", FreeDisk: 1 << 30, Time: t0}
	pc1 := model.Computer{Name: "pc1", Site: "S01", Platform: "windows/amd64", LastSeen: t0, Inventory: inv}
	pc2 := model.Computer{Name: "PC2", Site: "S02"}
	must(t, s.PutComputers(ctx, pc1, pc2))
	wantErr(t, s.PutComputers(ctx, model.Computer{Name: "PC3", Site: "S09"}), model.ErrNotFound, "site S09 not found")
	wantErr(t, s.PutComputers(ctx, model.Computer{Name: "PC 3", Site: "S01"}), model.ErrInvalid, `computer name "PC 3"`)

	pc1.Name = "PC1"
	got, err := s.GetComputer(ctx, "Pc1")
	must(t, err)
	equal(t, "GetComputer", got, pc1)
	counts := func(want1, want2, wantAll int) {
		t.Helper()
		for site, want := range map[string]int{"S01": want1, "S02": want2, "": wantAll} {
			n, err := s.CountComputers(ctx, site)
			must(t, err)
			cs, err := s.ListComputers(ctx, site)
			must(t, err)
			if n != want || len(cs) != want {
				t.Errorf("site %q: CountComputers %d, ListComputers %d, want %d", site, n, len(cs), want)
			}
		}
	}
	counts(1, 1, 2)

	// PC1 moves to S02: it leaves S01's range.
	pc1.Site = "S02"
	must(t, s.PutComputers(ctx, pc1))
	counts(0, 2, 2)
	got, err = s.GetComputer(ctx, "PC1")
	must(t, err)
	equal(t, "moved computer", got, pc1)

	wantErr(t, s.DeleteSite(ctx, "S02"), model.ErrInUse, "site S02 still has 2 computer(s)")
	must(t, s.DeleteComputer(ctx, "pc1"))
	wantErr(t, s.DeleteComputer(ctx, "PC1"), model.ErrNotFound, "computer PC1 not found")
	_, err = s.GetComputer(ctx, "PC1")
	wantErr(t, err, model.ErrNotFound, "computer PC1 not found")
	counts(0, 1, 1)
}

func TestGroups(t *testing.T) {
	s := openStore(t)
	g := model.MachineGroup{Name: "Finance PCs", Comment: "2nd floor", Members: []string{"PC1", "PC2"}}
	must(t, s.PutGroup(ctx, g))
	must(t, s.PutGroup(ctx, model.MachineGroup{Name: "Branch servers", Members: []string{"DIST1"}}))
	wantErr(t, s.PutGroup(ctx, model.MachineGroup{}), model.ErrInvalid, "machine group name must not be empty")
	got, err := s.GetGroup(ctx, "finance pcs")
	must(t, err)
	equal(t, "GetGroup", got, g)
	all, err := s.ListGroups(ctx)
	must(t, err)
	if len(all) != 2 || all[0].Name != "Branch servers" {
		t.Errorf("ListGroups = %+v", all)
	}
	must(t, s.DeleteGroup(ctx, "FINANCE PCS"))
	wantErr(t, s.DeleteGroup(ctx, "Finance PCs"), model.ErrNotFound, `machine group "Finance PCs" not found`)
}

func TestJobsAndTargetStatuses(t *testing.T) {
	s := openStore(t)
	_, err := s.CreateJob(ctx, job("S0100001"))
	wantErr(t, err, model.ErrNotFound, "add a site first: package IDs start with the site code")
	must(t, s.PutSite(ctx, site("S01", "")))
	_, err = s.CreateJob(ctx, job("S0100001"))
	wantErr(t, err, model.ErrNotFound, "package S0100001 not found")
	p, err := s.CreatePackage(ctx, pkg("7zip"))
	must(t, err)

	bad := job(p.ID)
	bad.Schedule.Priority = "urgent"
	_, err = s.CreateJob(ctx, bad)
	wantErr(t, err, model.ErrInvalid, `priority "urgent" is not one of high, medium, low`)

	j, err := s.CreateJob(ctx, job(p.ID))
	must(t, err)
	if j.ID != "S0100001" || !j.Created.Equal(t0) {
		t.Fatalf("created job %+v", j)
	}
	got, err := s.GetJob(ctx, j.ID)
	must(t, err)
	equal(t, "GetJob", got, j)

	j.Status.State = model.JobActive
	j.Status.Servers = map[string]model.ServerStatus{"S01/DIST1": {Server: "S01/DIST1", State: model.PhaseActive, BytesDone: 10, BytesTotal: 20}}
	j.Created = time.Time{}
	must(t, s.UpdateJob(ctx, j))
	got, err = s.GetJob(ctx, j.ID)
	must(t, err)
	j.Created = t0
	equal(t, "updated job", got, j)
	wantErr(t, s.UpdateJob(ctx, func() model.Job { x := j; x.ID = "S0100099"; return x }()), model.ErrNotFound, "job S0100099 not found")

	// A job that is not final keeps its package.
	wantErr(t, s.DeletePackage(ctx, p.ID), model.ErrInUse, "package S0100001 is used by job S0100001, which is active")

	code := 3010
	ts := []model.TargetStatus{
		{Job: j.ID, Computer: "pc2", State: model.TargetOffered, Updated: t0},
		{Job: j.ID, Computer: "PC1", State: model.TargetComplete, ExitCode: &code, Reboot: model.RebootSoft, Attempts: 1, Updated: t0},
	}
	must(t, s.PutTargetStatuses(ctx, ts...))
	wantErr(t, s.PutTargetStatuses(ctx, model.TargetStatus{Job: "S0100077", Computer: "PC1", State: model.TargetOffered}), model.ErrNotFound, "job S0100077 not found")
	wantErr(t, s.PutTargetStatuses(ctx, model.TargetStatus{Job: j.ID, Computer: "PC1", State: "bogus"}), model.ErrInvalid, `state "bogus"`)
	list, err := s.ListTargetStatuses(ctx, j.ID)
	must(t, err)
	ts[0].Computer = "PC2"
	equal(t, "ListTargetStatuses", list, []model.TargetStatus{ts[1], ts[0]})

	// A second job: its statuses stay when the first is deleted.
	j2, err := s.CreateJob(ctx, job(p.ID))
	must(t, err)
	must(t, s.PutTargetStatuses(ctx, model.TargetStatus{Job: j2.ID, Computer: "PC1", State: model.TargetNone}))
	all, err := s.ListJobs(ctx)
	must(t, err)
	if len(all) != 2 || all[0].ID != j.ID || all[1].ID != j2.ID {
		t.Errorf("ListJobs = %+v", all)
	}

	must(t, s.DeleteJob(ctx, j.ID))
	_, err = s.GetJob(ctx, j.ID)
	wantErr(t, err, model.ErrNotFound, "job S0100001 not found")
	wantErr(t, s.DeleteJob(ctx, j.ID), model.ErrNotFound, "job S0100001 not found")
	list, err = s.ListTargetStatuses(ctx, j.ID)
	must(t, err)
	if len(list) != 0 {
		t.Errorf("statuses of a deleted job remain: %+v", list)
	}
	list, err = s.ListTargetStatuses(ctx, j2.ID)
	must(t, err)
	if len(list) != 1 {
		t.Errorf("statuses of the other job: %+v", list)
	}

	// Once the job is final, the package may go.
	j2.Status.State = model.JobCanceled
	must(t, s.UpdateJob(ctx, j2))
	must(t, s.DeletePackage(ctx, p.ID))
}

func TestDeleteJobWithManyStatuses(t *testing.T) {
	s := withSite(t)
	p, err := s.CreatePackage(ctx, pkg("big"))
	must(t, err)
	j, err := s.CreateJob(ctx, job(p.ID))
	must(t, err)
	ts := make([]model.TargetStatus, 10000)
	for i := range ts {
		ts[i] = model.TargetStatus{Job: j.ID, Computer: fmt.Sprintf("PC%05d", i), State: model.TargetOffered, LastError: strings.Repeat("x", 200)}
	}
	must(t, s.PutTargetStatuses(ctx, ts...))
	list, err := s.ListTargetStatuses(ctx, j.ID)
	must(t, err)
	if len(list) != len(ts) {
		t.Fatalf("%d statuses listed, want %d", len(list), len(ts))
	}
	must(t, s.DeleteJob(ctx, j.ID))
	list, err = s.ListTargetStatuses(ctx, j.ID)
	must(t, err)
	if len(list) != 0 {
		t.Errorf("%d statuses remain", len(list))
	}
}

func TestEvents(t *testing.T) {
	s := openStore(t)
	in := []model.Event{
		{Severity: model.SevInfo, Job: "S0100001", Message: "job activated", Time: t0},
		{Severity: model.SevError, Job: "S0100001", Computer: "pc1", Message: "exit code 1", Time: t0.Add(time.Minute)},
		{Job: "S0100002", Computer: "PC2", Message: "ran", Time: t0.Add(2 * time.Minute)},
		{Severity: model.SevWarning, Server: "S01/DIST1", Message: "retrying", Time: t0.Add(3 * time.Minute)},
	}
	var stored []model.Event
	for i, e := range in {
		got, err := s.AppendEvent(ctx, e)
		must(t, err)
		if got.ID != uint64(i+1) {
			t.Errorf("event %d got ID %d", i, got.ID)
		}
		stored = append(stored, got)
	}
	if stored[2].Severity != model.SevInfo || stored[1].Computer != "PC1" {
		t.Errorf("defaults: %+v", stored)
	}
	noTime, err := s.AppendEvent(ctx, model.Event{Message: "now"})
	must(t, err)
	if noTime.Time.IsZero() || time.Since(noTime.Time) > time.Minute {
		t.Errorf("time not stamped: %v", noTime.Time)
	}
	_, err = s.AppendEvent(ctx, model.Event{Message: " "})
	wantErr(t, err, model.ErrInvalid, "event message must not be empty")
	_, err = s.AppendEvent(ctx, model.Event{Message: "x", Severity: "fatal"})
	wantErr(t, err, model.ErrInvalid, `event severity "fatal"`)

	ids := func(es []model.Event) (out []uint64) {
		for _, e := range es {
			out = append(out, e.ID)
		}
		return out
	}
	cases := []struct {
		f    model.EventFilter
		want []uint64
	}{
		{model.EventFilter{}, []uint64{5, 4, 3, 2, 1}},
		{model.EventFilter{Limit: 2}, []uint64{5, 4}},
		{model.EventFilter{Job: "S0100001"}, []uint64{2, 1}},
		{model.EventFilter{Computer: "pc2"}, []uint64{3}},
		{model.EventFilter{Severity: model.SevError}, []uint64{2}},
		{model.EventFilter{Since: t0.Add(2 * time.Minute)}, []uint64{5, 4, 3}},
		{model.EventFilter{Job: "S0100001", Limit: 1}, []uint64{2}},
		{model.EventFilter{Job: "S0100009"}, nil},
	}
	for _, c := range cases {
		got, err := s.ListEvents(ctx, c.f)
		must(t, err)
		equal(t, fmt.Sprintf("ListEvents(%+v)", c.f), ids(got), c.want)
	}
	all, err := s.ListEvents(ctx, model.EventFilter{})
	must(t, err)
	equal(t, "event round trip", all[4], stored[0])
}

func TestArchivesAndHoldings(t *testing.T) {
	s := openStore(t)
	sha := func(c string) string { return strings.Repeat(c, 64) }
	old := model.Archive{Package: "S0100001", SHA256: sha("a"), Size: 100, SourceDigest: "d1", Files: 3, SourceBytes: 300, Path: "/data/archives/a.tzst", Created: t0}
	cur := model.Archive{Package: "S0100001", SHA256: sha("0"), Size: 110, SourceDigest: "d2", Files: 3, SourceBytes: 310, Path: "/data/archives/0.tzst", Created: t0.Add(time.Hour)}
	other := model.Archive{Package: "S0100002", SHA256: sha("b"), Size: 1, Created: t0.Add(2 * time.Hour)}
	for _, a := range []model.Archive{old, cur, other} {
		must(t, s.PutArchive(ctx, a))
	}
	wantErr(t, s.PutArchive(ctx, model.Archive{Package: "S0100001", SHA256: "ABC"}), model.ErrInvalid, `archive hash "ABC" of package S0100001 is not 64 lower-case hex digits`)

	latest, err := s.LatestArchive(ctx, "S0100001")
	must(t, err)
	equal(t, "LatestArchive", latest, cur)
	list, err := s.ListArchives(ctx, "S0100001")
	must(t, err)
	equal(t, "ListArchives newest first", list, []model.Archive{cur, old})
	_, err = s.LatestArchive(ctx, "S0100003")
	wantErr(t, err, model.ErrNotFound, "archive of package S0100003 not found")

	must(t, s.SetHolding(ctx, "S0100001", cur.SHA256, "S01", "DIST1", true))
	must(t, s.SetHolding(ctx, "S0100001", cur.SHA256, "S02", "Dist9", true))
	must(t, s.SetHolding(ctx, "S0100001", old.SHA256, "S01", "DIST1", true))
	wantErr(t, s.SetHolding(ctx, "S0100001", sha("c"), "S01", "DIST1", true), model.ErrNotFound, "archive "+sha("c")+" of package S0100001 not found")
	hs, err := s.Holdings(ctx, "S0100001", cur.SHA256)
	must(t, err)
	equal(t, "Holdings", hs, []string{"S01/DIST1", "S02/Dist9"})

	must(t, s.SetHolding(ctx, "S0100001", cur.SHA256, "S02", "DIST9", false))
	must(t, s.SetHolding(ctx, "S0100001", cur.SHA256, "S02", "DIST9", false)) // idempotent
	hs, err = s.Holdings(ctx, "S0100001", cur.SHA256)
	must(t, err)
	equal(t, "Holdings after release", hs, []string{"S01/DIST1"})

	must(t, s.DeleteArchive(ctx, "S0100001", cur.SHA256))
	wantErr(t, s.DeleteArchive(ctx, "S0100001", cur.SHA256), model.ErrNotFound, "archive "+cur.SHA256+" of package S0100001 not found")
	hs, err = s.Holdings(ctx, "S0100001", cur.SHA256)
	must(t, err)
	if len(hs) != 0 {
		t.Errorf("holdings of a deleted archive remain: %v", hs)
	}
	hs, err = s.Holdings(ctx, "S0100001", old.SHA256)
	must(t, err)
	equal(t, "other archive's holdings", hs, []string{"S01/DIST1"})
	latest, err = s.LatestArchive(ctx, "S0100001")
	must(t, err)
	equal(t, "LatestArchive after delete", latest, old)
}

func TestSiteKey(t *testing.T) {
	s := openStore(t)
	_, err := s.SiteKey(ctx, "S01")
	wantErr(t, err, model.ErrNotFound, "site S01 not found")
	must(t, s.PutSite(ctx, site("S01", "")))
	must(t, s.PutSite(ctx, site("S02", "")))

	// Callers racing to make the key all get the same one.
	keys := make(chan ed25519.PrivateKey, 8)
	for range 8 {
		go func() {
			k, err := s.SiteKey(ctx, "S01")
			if err != nil {
				t.Error(err)
			}
			keys <- k
		}()
	}
	first := <-keys
	for range 7 {
		if k := <-keys; !k.Equal(first) {
			t.Fatal("concurrent SiteKey calls made different keys")
		}
	}
	if len(first) != ed25519.PrivateKeySize {
		t.Fatalf("key of %d bytes", len(first))
	}
	other, err := s.SiteKey(ctx, "S02")
	must(t, err)
	if other.Equal(first) {
		t.Error("two sites share a key")
	}
	sig := ed25519.Sign(first, []byte("instructions"))
	if !ed25519.Verify(first.Public().(ed25519.PublicKey), []byte("instructions"), sig) {
		t.Error("the key does not verify its own signature")
	}
	// Deleting the site deletes its key: a new site with the code gets a new one.
	must(t, s.DeleteSite(ctx, "S02"))
	must(t, s.PutSite(ctx, site("S02", "")))
	again, err := s.SiteKey(ctx, "S02")
	must(t, err)
	if again.Equal(other) {
		t.Error("a deleted site's key came back")
	}
}
