//go:build !windows

package adminapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"opensms/core/admin"
	"opensms/core/admin/admintest"
	"opensms/core/model"
	"opensms/core/watchdog"
	"opensms/storage/adminapi"
	"opensms/storage/badgerstore"
	"opensms/storage/localapi"
	"opensms/storage/shares"
)

var bg = context.Background()

// rig is a site service in this process: the API over a real Badger store,
// served on a real socket in the data directory, and a client attached to
// it.
type rig struct {
	dir    string
	local  *admin.Local
	client *adminapi.Client
}

func newRig(t *testing.T) *rig {
	t.Helper()
	dir := t.TempDir()
	st, err := badgerstore.Open(dir, badgerstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	wd := watchdog.New(st, shares.NewOpener(), watchdog.Config{})
	local := admin.New(st, wd, shares.NewOpener())
	l, err := localapi.Listen(adminapi.Address(dir), localapi.ListenConfig{Service: adminapi.Service})
	if err != nil {
		t.Fatal(err)
	}
	srv := localapi.Start(l, localapi.ServerConfig{Service: adminapi.Service, Version: "v1", Handler: adminapi.Handler(local)})
	t.Cleanup(func() {
		if err := srv.Stop(); err != nil {
			t.Error(err)
		}
		st.Close()
	})
	c, err := adminapi.Attach(bg, dir, "v1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return &rig{dir: dir, local: local, client: c}
}

// TestBadInputIsRefusedWithTheSameSentences runs the shared bad-input table
// through the socket: every kind and sentence arrives as the API said it.
func TestBadInputIsRefusedWithTheSameSentences(t *testing.T) {
	r := newRig(t)
	fx, err := admintest.Build(bg, r.client, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range admintest.Cases(fx) {
		t.Run(c.Name, func(t *testing.T) {
			err := admintest.Call(bg, r.client, c)
			var e *admin.Error
			if !errors.As(err, &e) || e.Kind != c.Kind || e.Sentence != c.Want {
				t.Fatalf("over the socket: %T %v, want %s %q", err, err, c.Kind, c.Want)
			}
			if c.Kind == admin.KindExists && !errors.Is(err, model.ErrExists) {
				t.Fatalf("errors.Is(err, model.ErrExists) does not hold after the socket")
			}
		})
	}
}

// TestAnswersAreTheSameAttachedAndInProcess compares every list and a job's
// status read through the socket with the in-process API's.
func TestAnswersAreTheSameAttachedAndInProcess(t *testing.T) {
	r := newRig(t)
	fx, err := admintest.Build(bg, r.client, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	j := model.Job{Package: fx.Package, Target: model.Target{Kind: model.TargetSite, Name: "S01"}}
	j.ApplyDefaults()
	created, err := r.client.AddJob(bg, j)
	if err != nil {
		t.Fatal(err)
	}
	same := func(what string, a, b any, errA, errB error) {
		t.Helper()
		if errA != nil || errB != nil {
			t.Fatalf("%s: %v / %v", what, errA, errB)
		}
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		if string(ja) != string(jb) {
			t.Fatalf("%s differs:\nattached %s\nin process %s", what, ja, jb)
		}
	}
	a1, e1 := r.client.ListSites(bg)
	b1, f1 := r.local.ListSites(bg)
	same("sites", a1, b1, e1, f1)
	a2, e2 := r.client.GetSite(bg, "S01")
	b2, f2 := r.local.GetSite(bg, "S01")
	same("site S01", a2, b2, e2, f2)
	a3, e3 := r.client.ListJobs(bg)
	b3, f3 := r.local.ListJobs(bg)
	same("jobs", a3, b3, e3, f3)
	a4, e4 := r.client.GetJob(bg, created.Job.ID)
	b4, f4 := r.local.GetJob(bg, created.Job.ID)
	same("job", a4, b4, e4, f4)
	a5, e5 := r.client.SiteKey(bg, "")
	b5, f5 := r.local.SiteKey(bg, "")
	same("site key", a5, b5, e5, f5)
	a6, e6 := r.client.ListEvents(bg, admin.EventFilter{Limit: 5})
	b6, f6 := r.local.ListEvents(bg, admin.EventFilter{Limit: 5})
	same("events", a6, b6, e6, f6)
	a7, e7 := r.client.GetGroup(bg, "Accounting")
	b7, f7 := r.local.GetGroup(bg, "Accounting")
	same("group", a7, b7, e7, f7)
	a8, e8 := r.client.GetPackage(bg, fx.Package)
	b8, f8 := r.local.GetPackage(bg, fx.Package)
	same("package", a8, b8, e8, f8)
	if _, err := r.client.GetJob(bg, "S0199999"); !errors.Is(err, model.ErrNotFound) {
		t.Fatalf("a job that does not exist: %v", err)
	}
	if err := r.client.CancelJob(bg, created.Job.ID); err != nil {
		t.Fatal(err)
	}
	st, err := r.client.GetJob(bg, created.Job.ID)
	if err != nil || !st.Job.Cancel {
		t.Fatalf("after cancel through the socket: %+v, %v", st.Job, err)
	}
}

// TestWatchStreamsChangesAndRunCycleWaits: a cycle asked for through the
// socket runs in the service, its events come back, and a watcher sees them.
func TestWatchStreamsChangesAndRunCycleWaits(t *testing.T) {
	r := newRig(t)
	if _, err := admintest.Build(bg, r.client, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(bg)
	defer cancel()
	changes, err := r.client.Watch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.client.RunCycle(bg)
	if err != nil {
		t.Fatal(err)
	}
	sawCycle := false
	for c := range changes {
		if c.Kind == watchdog.UpdateCycle && c.Cycle != nil && c.Cycle.Duration != 0 {
			sawCycle = true
			cancel()
		}
	}
	if !sawCycle {
		t.Fatalf("the watcher did not see the cycle end (result %+v)", res)
	}
}

func TestAttachSaysWhyItCannot(t *testing.T) {
	dir := t.TempDir()
	if _, err := adminapi.Attach(bg, dir, "v1"); !errors.Is(err, localapi.ErrNoService) {
		t.Fatalf("no service: %v, want ErrNoService", err)
	}
	r := newRig(t)
	_, err := adminapi.Attach(bg, r.dir, "v2")
	if admin.KindOf(err) != admin.KindFailed || !strings.Contains(err.Error(), "v1") || !strings.Contains(err.Error(), "v2") {
		t.Fatalf("another version: %v", err)
	}
	if filepath.Base(adminapi.Address(r.dir)) != "admin.sock" {
		t.Fatal(adminapi.Address(r.dir))
	}
}

// TestWatchCarriesRecordChangesOverTheSocket: the records any caller
// changes cross the stream as they do in process.
func TestWatchCarriesRecordChangesOverTheSocket(t *testing.T) {
	r := newRig(t)
	fx, err := admintest.Build(bg, r.client, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(bg, time.Minute) // a bound, not a timing assertion
	defer cancel()
	if err := admintest.WatchRecords(ctx, r.client, fx); err != nil {
		t.Fatal(err)
	}
}
