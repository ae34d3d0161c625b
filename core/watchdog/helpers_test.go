package watchdog_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"opensms/core/model"
	"opensms/core/protocol"
	"opensms/core/share"
	"opensms/core/watchdog"
	"opensms/storage/badgerstore"
	"opensms/storage/sambatest"
	"opensms/storage/shares"
)

var bg = context.Background()

// fastRetry keeps fault tests quick: two tries a few milliseconds apart.
var fastRetry = share.RetryPolicy{Initial: 5 * time.Millisecond, Max: 20 * time.Millisecond, MaxAttempts: 2}

// rig is one site on a real Samba: its site share SITE, two default
// distribution servers DIST1 and DIST2 (and any extra shares asked for),
// two computers, one package, a real Badger store and a watchdog whose log and updates the test keeps.
type rig struct {
	t       *testing.T
	smb     *sambatest.Server
	storeAt string
	st      *badgerstore.Store
	site    model.Site
	pkg     model.Package
	src     string
	op      *faultOpener
	svc     *watchdog.Service
	log     *syncBuffer
	updates *recorder
}

const siteCode = "S01"

func newRig(t *testing.T, extraShares ...string) *rig {
	t.Helper()
	r := &rig{t: t}
	r.smb = sambatest.Start(t, sambatest.Options{Shares: append([]string{"SITE", "DIST1", "DIST2"}, extraShares...)})
	r.storeAt = filepath.Join(t.TempDir(), "store")
	r.open()
	cred := r.smb.Credentials()
	r.site = model.Site{Code: siteCode, Name: "Head Office", Share: shareURL(r.smb, "SITE"), Credentials: cred, Created: time.Now()}
	must(t, r.st.PutSite(bg, r.site))
	for _, name := range []string{"DIST1", "DIST2"} {
		must(t, r.st.PutServer(bg, model.Server{Site: siteCode, Name: name, URL: shareURL(r.smb, name), Credentials: cred, Default: true}))
	}
	must(t, r.st.PutComputers(bg, withKey(model.Computer{Name: "PC001", Site: siteCode, Platform: "linux/amd64"}), withKey(model.Computer{Name: "PC002", Site: siteCode, Platform: "windows/amd64"})))
	r.src = t.TempDir()
	writeFile(t, filepath.Join(r.src, "install.sh"), []byte("#!/bin/sh\necho installed\n"))
	writeFile(t, filepath.Join(r.src, "data", "payload.bin"), bytes.Repeat([]byte("OpenSMS "), 4096))
	pkg, err := r.st.CreatePackage(bg, model.Package{Name: "Hello", Version: "1.0", Source: r.src,
		Commands: []model.CommandLine{{Name: "Install", Command: "sh install.sh", Platforms: []model.Platform{"linux/amd64", "windows/amd64"}, Automated: true, SuccessCodes: []int{0}}}})
	must(t, err)
	r.pkg = pkg
	r.service(watchdog.Config{})
	return r
}

// shareURL is the share's location without the user, as an administrator
// enters it with the credentials apart.
func shareURL(s *sambatest.Server, name string) string {
	loc := s.Location(name)
	loc.User = ""
	return loc.String()
}

func (r *rig) open() {
	st, err := badgerstore.Open(r.storeAt, badgerstore.Options{})
	if err != nil {
		r.t.Fatal(err)
	}
	r.st = st
	r.t.Cleanup(func() { _ = st.Close() })
}

// service replaces the watchdog with a new one over the same store, as a
// restarted Administrator would make.
func (r *rig) service(cfg watchdog.Config) {
	if cfg.Retry == (share.RetryPolicy{}) {
		cfg.Retry = fastRetry
	}
	r.log = &syncBuffer{}
	cfg.Logger = slog.New(slog.NewTextHandler(r.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if r.op == nil {
		r.op = &faultOpener{Opener: shares.NewOpener()}
	}
	r.svc = watchdog.New(r.st, r.op, cfg)
	r.updates = record(r.t, r.svc)
}

// addJob stores a Run Command job for the whole site, due now.
func (r *rig) addJob(edit func(j *model.Job)) model.Job {
	r.t.Helper()
	j := model.Job{Created: time.Now()}
	j.ApplyDefaults()
	j.Package = r.pkg.ID
	j.Target = model.Target{Kind: model.TargetSite, Name: siteCode}
	j.Run.Command = "Install"
	j.Schedule.StartAfter = time.Now().Add(-time.Second)
	if edit != nil {
		edit(&j)
	}
	created, err := r.st.CreateJob(bg, j)
	must(r.t, err)
	return created
}

// cycleUntilPushing starts a cycle in the background with the archive
// writes to shareName slowed down, and returns once 4 MiB reached it,
// with the channel the cycle's result comes on.
func (r *rig) cycleUntilPushing(shareName string) <-chan error {
	r.t.Helper()
	reached := make(chan struct{})
	r.op.arm(shareName, 4<<20, 20*time.Millisecond, func() { close(reached) })
	cycle := make(chan error, 1)
	go func() { cycle <- r.svc.RunOnce(bg) }()
	select {
	case <-reached:
	case err := <-cycle:
		r.t.Fatalf("the cycle ended before the push to %s got going: %v", shareName, err)
	case <-time.After(30 * time.Second):
		r.t.Fatalf("the push to %s never started", shareName)
	}
	return cycle
}

// sentAndDistributed runs one cycle and wants job id Active with its
// archive sent and on every server.
func (r *rig) sentAndDistributed(id string) model.Job {
	r.t.Helper()
	r.runOnce()
	got := r.wantState(id, model.JobActive)
	if got.Status.Sending != model.PhaseComplete || got.Status.Working != model.PhaseComplete {
		r.t.Fatalf("after one cycle: %+v", got.Status)
	}
	r.wantArchiveOnServers(r.pkg.ID, got.Status.Archive, "DIST1", "DIST2")
	return got
}

func (r *rig) runOnce() {
	r.t.Helper()
	if err := r.svc.RunOnce(bg); err != nil {
		r.t.Fatalf("RunOnce: %v\nlog:\n%s", err, r.log)
	}
}

func (r *rig) job(id string) model.Job {
	r.t.Helper()
	j, err := r.st.GetJob(bg, id)
	must(r.t, err)
	return j
}

func (r *rig) wantState(id string, want model.JobState) model.Job {
	r.t.Helper()
	j := r.job(id)
	if j.Status.State != want {
		r.t.Fatalf("job %s is %s, want %s; last error %q\nevents:\n%s\nlog:\n%s", id, j.Status.State, want, j.Status.LastError, r.events(id), r.log)
	}
	return j
}

// events returns the job's event messages, oldest first.
func (r *rig) events(job string) string {
	evs, err := r.st.ListEvents(bg, model.EventFilter{Job: job})
	must(r.t, err)
	var b strings.Builder
	for i := len(evs) - 1; i >= 0; i-- {
		b.WriteString(string(evs[i].Severity) + ": " + evs[i].Message + "\n")
	}
	return b.String()
}

func (r *rig) wantEvent(job, substr string) {
	r.t.Helper()
	if ev := r.events(job); !strings.Contains(ev, substr) {
		r.t.Errorf("no event of job %s says %q; events:\n%s", job, substr, ev)
	}
}

// siteFS opens the site share over SMB, as a client would.
func (r *rig) siteFS() share.FS {
	r.t.Helper()
	fsys, err := shares.Open(bg, shareURL(r.smb, "SITE"), r.smb.Credentials())
	must(r.t, err)
	r.t.Cleanup(func() { _ = fsys.Close() })
	return fsys
}

// writeStatus plays the client: it writes status/<COMPUTER>/<JOB>.json on
// the site share through SMB, atomically.
func (r *rig) writeStatus(job, computer string, state model.TargetState, code int) {
	r.t.Helper()
	data, err := protocol.EncodeStatus(computerKey(computer), protocol.Status{Format: protocol.StatusFormat, Job: job, Computer: computer, Generation: 1,
		State: state, ExitCode: &code, Attempts: 1, Finished: time.Now(), Written: time.Now()})
	must(r.t, err)
	name, err := protocol.StatusPath(computer, job)
	must(r.t, err)
	must(r.t, share.WriteFileAtomic(bg, r.siteFS(), name, data))
}

// instructions reads and verifies a computer's instruction file with the
// site's public key, as the client does.
func (r *rig) instructions(computer string) protocol.Instructions {
	r.t.Helper()
	priv, err := r.st.SiteKey(bg, siteCode)
	must(r.t, err)
	name, err := protocol.InstructionsPath(computer)
	must(r.t, err)
	data, err := share.ReadFile(r.siteFS(), name, protocol.MaxSignedSize)
	must(r.t, err)
	ins, err := protocol.DecodeInstructions(priv.Public().(ed25519.PublicKey), data)
	if err != nil {
		r.t.Fatalf("instructions for %s do not verify with the site key: %v", computer, err)
	}
	return ins
}

// wantArchiveOnServers reads the archive back from each server over SMB,
// hashes it, and checks that no temporary file is left on the share.
func (r *rig) wantArchiveOnServers(pkg, sha string, servers ...string) {
	r.t.Helper()
	name, err := protocol.ArchivePath(pkg, sha)
	must(r.t, err)
	for _, srv := range servers {
		fsys, err := shares.Open(bg, shareURL(r.smb, srv), r.smb.Credentials())
		must(r.t, err)
		f, err := fsys.Open(name)
		if err != nil {
			r.t.Fatalf("server %s has no %s: %v", srv, name, err)
		}
		h := sha256.New()
		if _, err := io.Copy(h, f); err != nil {
			r.t.Fatal(err)
		}
		f.Close()
		fsys.Close()
		if got := hex.EncodeToString(h.Sum(nil)); got != sha {
			r.t.Errorf("server %s: %s hashes to %s", srv, name, got)
		}
		r.noTemps(srv)
	}
}

// noTemps fails if a *.tmp-* name is left in the share's folder.
func (r *rig) noTemps(shareName string) {
	r.t.Helper()
	_ = filepath.WalkDir(r.smb.Dir(shareName), func(p string, d fs.DirEntry, err error) error {
		if err == nil && share.IsTemp(d.Name()) {
			r.t.Errorf("temporary file left on %s: %s", shareName, p)
		}
		return nil
	})
}

// recorder keeps every update a subscriber receives.
type recorder struct {
	mu  sync.Mutex
	all []watchdog.Update
}

func record(t *testing.T, svc *watchdog.Service) *recorder {
	rec := &recorder{}
	ch, stop := svc.Subscribe(1 << 16)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for u := range ch {
			rec.mu.Lock()
			rec.all = append(rec.all, u)
			rec.mu.Unlock()
		}
	}()
	t.Cleanup(func() { stop(); <-done })
	return rec
}

func (r *recorder) transfers() []watchdog.Transfer {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []watchdog.Transfer
	for _, u := range r.all {
		if u.Kind == watchdog.UpdateTransfer {
			out = append(out, *u.Transfer)
		}
	}
	return out
}

func (r *recorder) json() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	b, _ := json.Marshal(r.all)
	return string(b)
}

// faultOpener is the real opener with faults injected into the writes of
// archives (*.tzst.tmp-*) on one share: once the bytes written pass
// threshold, hook runs (in the writing goroutine, before the write) and
// that one write fails with fail (when set), and every write may be
// slowed by delay.
type faultOpener struct {
	share.Opener
	mu        sync.Mutex
	share     string
	threshold int64
	written   int64
	fired     bool
	hook      func()
	fail      error
	sticky    bool
	delay     time.Duration
}

// failOnce makes the write that takes the bytes written to shareName's
// archives past threshold fail with err; later writes go through.
func (o *faultOpener) failOnce(shareName string, threshold int64, err error) {
	o.arm(shareName, threshold, 0, func() {})
	o.mu.Lock()
	o.fail = err
	o.mu.Unlock()
}

// failFrom is failOnce with every later write failing too, as a server
// that went away and stays away.
func (o *faultOpener) failFrom(shareName string, threshold int64, err error) {
	o.failOnce(shareName, threshold, err)
	o.mu.Lock()
	o.sticky = true
	o.mu.Unlock()
}

func (o *faultOpener) arm(shareName string, threshold int64, delay time.Duration, hook func()) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.share, o.threshold, o.written, o.fired, o.hook, o.delay, o.fail, o.sticky = shareName, threshold, 0, false, hook, delay, nil, false
}

func (o *faultOpener) Open(ctx context.Context, loc model.Location, cred model.Credentials) (share.FS, error) {
	fsys, err := o.Opener.Open(ctx, loc, cred)
	o.mu.Lock()
	armed := o.share != "" && loc.Share == o.share
	o.mu.Unlock()
	if err != nil || !armed {
		return fsys, err
	}
	return faultFS{FS: fsys, o: o}, nil
}

func (o *faultOpener) wrote(n int) (hook func(), delay time.Duration, fail error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.written += int64(n)
	if !o.fired && o.hook != nil && o.written >= o.threshold {
		o.fired = true
		hook, fail = o.hook, o.fail
	} else if o.fired && o.sticky {
		fail = o.fail
	}
	return hook, o.delay, fail
}

type faultFS struct {
	share.FS
	o *faultOpener
}

func (f faultFS) OpenFile(name string, flag int) (share.File, error) {
	file, err := f.FS.OpenFile(name, flag)
	if err != nil || !strings.Contains(name, protocol.ArchiveExt+".tmp-") {
		return file, err
	}
	return &faultFile{File: file, o: f.o}, nil
}

type faultFile struct {
	share.File
	o *faultOpener
}

func (f *faultFile) WriteAt(b []byte, off int64) (int, error) {
	hook, delay, fail := f.o.wrote(len(b))
	if hook != nil {
		hook()
	}
	if fail != nil {
		return 0, fail
	}
	if delay > 0 {
		time.Sleep(delay)
	}
	return f.File.(io.WriterAt).WriteAt(b, off)
}

// syncBuffer is a log destination safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.Reset()
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func writeFile(t testing.TB, name string, data []byte) {
	t.Helper()
	must(t, os.MkdirAll(filepath.Dir(name), 0o755))
	must(t, os.WriteFile(name, data, 0o644))
}

// writeRandom writes n bytes that do not compress, so the archive is about
// as big as the source.
func writeRandom(t testing.TB, name string, n int64, seed uint64) {
	t.Helper()
	must(t, os.MkdirAll(filepath.Dir(name), 0o755))
	f, err := os.Create(name)
	must(t, err)
	rng := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8)})
	buf := make([]byte, 1<<20)
	for n > 0 {
		k := min(n, int64(len(buf)))
		_, _ = rng.Read(buf[:k])
		if _, err := f.Write(buf[:k]); err != nil {
			t.Fatal(err)
		}
		n -= k
	}
	must(t, f.Close())
}

// computerKey is the key a test computer's client signs with: the same
// for the same name, so that a test can play any computer.
func computerKey(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("opensms test computer " + model.NormalizeComputerName(name)))
	return ed25519.NewKeyFromSeed(seed[:])
}

// withKey registers the computer's test key, as its first inventory would.
func withKey(c model.Computer) model.Computer {
	c.PublicKey = computerKey(c.Name).Public().(ed25519.PublicKey)
	return c
}
