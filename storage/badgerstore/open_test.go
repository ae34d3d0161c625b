package badgerstore

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"opensms/core/model"
	"opensms/storage/storedir"
)

func TestReopenKeepsEverything(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	must(t, err)
	must(t, s.PutSite(ctx, site("S01", "")))
	must(t, s.PutServer(ctx, server("S01", "DIST1")))
	must(t, s.PutComputers(ctx, model.Computer{Name: "PC1", Site: "S01"}))
	must(t, s.PutGroup(ctx, model.MachineGroup{Name: "G", Members: []string{"PC1"}}))
	p1, err := s.CreatePackage(ctx, pkg("a"))
	must(t, err)
	_, err = s.CreatePackage(ctx, pkg("b"))
	must(t, err)
	j, err := s.CreateJob(ctx, job(p1.ID))
	must(t, err)
	must(t, s.PutTargetStatuses(ctx, model.TargetStatus{Job: j.ID, Computer: "PC1", State: model.TargetOffered}))
	e, err := s.AppendEvent(ctx, model.Event{Message: "first"})
	must(t, err)
	must(t, s.PutArchive(ctx, model.Archive{Package: p1.ID, SHA256: strings.Repeat("f", 64), Created: t0}))
	key1, err := s.SiteKey(ctx, "S01")
	must(t, err)
	must(t, s.Close())

	s = openDir(t, dir)
	if home, err := s.HomeSite(ctx); err != nil || home != "S01" {
		t.Errorf("HomeSite after reopen = %q, %v", home, err)
	}
	sv, err := s.GetServer(ctx, "S01", "DIST1")
	must(t, err)
	equal(t, "server after reopen", sv, server("S01", "DIST1"))
	_, err = s.GetComputer(ctx, "PC1")
	must(t, err)
	_, err = s.GetGroup(ctx, "G")
	must(t, err)
	got, err := s.GetPackage(ctx, p1.ID)
	must(t, err)
	equal(t, "package after reopen", got, p1)
	gotJob, err := s.GetJob(ctx, j.ID)
	must(t, err)
	equal(t, "job after reopen", gotJob, j)
	ts, err := s.ListTargetStatuses(ctx, j.ID)
	must(t, err)
	if len(ts) != 1 {
		t.Errorf("statuses after reopen: %+v", ts)
	}
	_, err = s.LatestArchive(ctx, p1.ID)
	must(t, err)
	key2, err := s.SiteKey(ctx, "S01")
	must(t, err)
	if !key2.Equal(key1) {
		t.Error("the site key changed on reopen")
	}

	// The sequences go on where they stopped.
	p3, err := s.CreatePackage(ctx, pkg("c"))
	must(t, err)
	j2, err := s.CreateJob(ctx, job(p1.ID))
	must(t, err)
	e2, err := s.AppendEvent(ctx, model.Event{Message: "second"})
	must(t, err)
	if p3.ID != "S0100003" || j2.ID != "S0100002" || e2.ID != e.ID+1 {
		t.Errorf("after reopen: package %s (want S0100003), job %s (want S0100002), event %d (want %d)", p3.ID, j2.ID, e2.ID, e.ID+1)
	}
}

func TestConcurrentWriters(t *testing.T) {
	s := withSite(t)
	const writers, each = 8, 25
	var mu sync.Mutex
	var pkgIDs []string
	var evIDs []uint64
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				p, err := s.CreatePackage(ctx, pkg(fmt.Sprintf("w%d-%d", w, i)))
				if err != nil {
					t.Error(err)
					return
				}
				e, err := s.AppendEvent(ctx, model.Event{Package: p.ID, Message: "created"})
				if err != nil {
					t.Error(err)
					return
				}
				must(t, s.PutComputers(ctx, model.Computer{Name: fmt.Sprintf("PC-%d-%d", w, i), Site: "S01"}))
				mu.Lock()
				pkgIDs, evIDs = append(pkgIDs, p.ID), append(evIDs, e.ID)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	slices.Sort(pkgIDs)
	slices.Sort(evIDs)
	if len(slices.Compact(slices.Clone(pkgIDs))) != writers*each || len(slices.Compact(slices.Clone(evIDs))) != writers*each {
		t.Fatalf("IDs are not unique: %d packages, %d events", len(slices.Compact(pkgIDs)), len(slices.Compact(evIDs)))
	}
	ps, err := s.ListPackages(ctx)
	must(t, err)
	es, err := s.ListEvents(ctx, model.EventFilter{})
	must(t, err)
	n, err := s.CountComputers(ctx, "S01")
	must(t, err)
	if len(ps) != writers*each || len(es) != writers*each || n != writers*each {
		t.Errorf("stored %d packages, %d events, %d computers; want %d of each", len(ps), len(es), n, writers*each)
	}
}

const childEnv = "OPENSMS_BADGERSTORE_TEST_HOLD"

// TestInUse opens a directory another Open holds. Badger locks with flock,
// which is per open file, so a second Open in the same process trips it;
// the child process case is what smsctl meets while the Administrator runs.
func TestInUse(t *testing.T) {
	if dir := os.Getenv(childEnv); dir != "" {
		_, err := Open(dir, Options{})
		fmt.Print(err)
		os.Exit(0)
	}
	dir := t.TempDir()
	s := openDir(t, dir)
	want := "the store at " + dir + " is in use by another OpenSMS process; close the Administrator or use --data"

	_, err := Open(dir, Options{})
	if !errors.Is(err, ErrStoreInUse) || err.Error() != want {
		t.Errorf("second Open in the process: %v; want %q", err, want)
	}

	cmd := exec.Command(os.Args[0], "-test.run=^TestInUse$")
	cmd.Env = append(os.Environ(), childEnv+"="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil || string(out) != want {
		t.Errorf("Open in another process said %q (%v); want %q", out, err, want)
	}

	// Once closed, the store opens again.
	must(t, s.Close())
	openDir(t, dir)
}

// TestPasswordsNotOnDisk greps every file of the store for the passwords.
func TestPasswordsNotOnDisk(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	must(t, err)
	const sitePW, serverPW = "Hunter2-site-secret-7d1f", "Hunter2-server-secret-93ac"
	st := site("S01", "")
	st.Credentials.Password = model.NewSecret(sitePW)
	sv := server("S01", "DIST1")
	sv.Credentials.Password = model.NewSecret(serverPW)
	must(t, s.PutSite(ctx, st))
	must(t, s.PutServer(ctx, sv))
	// Enough other writes that Badger flushes a memtable to a table file.
	for i := range 200 {
		_, err := s.AppendEvent(ctx, model.Event{Message: fmt.Sprintf("event %d %s", i, strings.Repeat("x", 500))})
		must(t, err)
	}
	must(t, s.Close())

	files := 0
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		for _, secret := range []string{sitePW, serverPW, "Site S01", "event 1"} {
			if bytes.Contains(b, []byte(secret)) {
				t.Errorf("%s holds %q in plain text", path, secret)
			}
		}
		return nil
	})
	must(t, err)
	if files < 3 {
		t.Errorf("only %d files in the store", files)
	}

	s = openDir(t, dir)
	got, err := s.GetSite(ctx, "S01")
	must(t, err)
	gotSv, err := s.GetServer(ctx, "S01", "DIST1")
	must(t, err)
	if got.Credentials.Password.Reveal() != sitePW || gotSv.Credentials.Password.Reveal() != serverPW {
		t.Error("passwords did not come back after reopening")
	}
}

func TestKeyFile(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("file modes do not apply")
	}
	dir := t.TempDir()
	s := openDir(t, dir)
	must(t, s.Close())
	path := filepath.Join(dir, KeyFile)
	fi, err := os.Stat(path)
	must(t, err)
	if fi.Mode().Perm() != 0o600 || fi.Size() != storedir.KeySize {
		t.Fatalf("key file mode %v, size %d; want 0600 and %d bytes", fi.Mode().Perm(), fi.Size(), storedir.KeySize)
	}
	good, err := os.ReadFile(path)
	must(t, err)

	try := func(name string, want string) {
		t.Helper()
		s, err := Open(dir, Options{})
		if err == nil {
			s.Close()
			t.Errorf("%s: the store opened", name)
		} else if !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v; want %q", name, err, want)
		}
	}
	must(t, os.Chmod(path, 0o644))
	try("readable by others", "the key file "+path+" can be read or changed by other users (mode 0644): run chmod 600 "+path)
	must(t, os.Chmod(path, 0o640))
	try("readable by the group", "(mode 0640)")

	must(t, os.WriteFile(path, good[:16], 0o600))
	must(t, os.Chmod(path, 0o600))
	try("short key", "the key file "+path+" holds 16 bytes, not 32: it is damaged or not an OpenSMS store key")

	other := bytes.Repeat([]byte{7}, storedir.KeySize)
	must(t, os.WriteFile(path, other, 0o600))
	try("another key", "does not open the store at "+dir)

	must(t, os.Remove(path))
	try("no key", "the store at "+dir+" has data but no key file store.key")

	must(t, os.WriteFile(path, good, 0o600))
	openDir(t, dir)
}

func TestNewerSchemaRefused(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	must(t, err)
	must(t, s.putJSON(keySchema, schemaVersion+1))
	must(t, s.Close())
	_, err = Open(dir, Options{})
	if err == nil || !strings.Contains(err.Error(), "it was written by a newer OpenSMS (key schema 2; this one reads up to 1): upgrade OpenSMS") {
		t.Fatalf("Open of a newer schema: %v", err)
	}
	// The refusal released the directory.
	_, err = Open(dir, Options{})
	if err == nil || errors.Is(err, ErrStoreInUse) {
		t.Fatalf("second Open: %v", err)
	}
}

func TestCloseTwiceAndAfter(t *testing.T) {
	s := withSite(t)
	must(t, s.Close())
	must(t, s.Close())
	_, err := s.GetSite(ctx, "S01")
	if err == nil || !strings.Contains(err.Error(), "is closed") {
		t.Errorf("GetSite after Close: %v", err)
	}
	_, err = s.CreatePackage(ctx, pkg("x"))
	if err == nil || !strings.Contains(err.Error(), "is closed") {
		t.Errorf("CreatePackage after Close: %v", err)
	}
	_, err = s.AppendEvent(ctx, model.Event{Message: "x"})
	if err == nil || !strings.Contains(err.Error(), "is closed") {
		t.Errorf("AppendEvent after Close: %v", err)
	}
}

// TestQuietByDefault checks that Badger writes nothing to stderr, where it
// would land in smsctl's output, and that a given logger gets its lines.
func TestQuietByDefault(t *testing.T) {
	r, w, err := os.Pipe()
	must(t, err)
	stderr := os.Stderr
	os.Stderr = w
	func() {
		defer func() { os.Stderr = stderr }()
		s, err := Open(t.TempDir(), Options{})
		must(t, err)
		must(t, s.PutSite(ctx, site("S01", "")))
		must(t, s.Close())
	}()
	w.Close()
	out, _ := io.ReadAll(r)
	if len(out) > 0 {
		t.Errorf("Badger wrote to stderr: %s", out)
	}

	var buf bytes.Buffer
	l := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, err := Open(t.TempDir(), Options{Logger: l})
	must(t, err)
	must(t, s.Close())
	if !strings.Contains(buf.String(), "component=badger") {
		t.Errorf("the logger got nothing from Badger: %q", buf.String())
	}
}

func TestValueLogGC(t *testing.T) {
	s, err := Open(t.TempDir(), Options{GCInterval: time.Millisecond})
	must(t, err)
	must(t, s.PutSite(ctx, site("S01", "")))
	for range 20 {
		must(t, s.PutSite(ctx, site("S01", "")))
	}
	time.Sleep(20 * time.Millisecond) // several GC rounds
	done := make(chan error)
	go func() { done <- s.Close() }()
	select {
	case err := <-done:
		must(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not stop the garbage collector")
	}
}
