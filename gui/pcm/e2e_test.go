package pcm

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"opensms/core/client"
	"opensms/core/model"
	"opensms/core/pack"
	"opensms/core/pack/packtest"
	"opensms/core/protocol"
	"opensms/storage/clientstore"
	"opensms/storage/sambatest"
	"opensms/storage/shares"
)

// testSite is a real site share and distribution share on Samba, filled as
// the Administrator's watchdog would: a signed site.json, a real archive on
// the distribution share and signed instructions for one computer.
type testSite struct {
	t        *testing.T
	srv      *sambatest.Server
	priv     ed25519.PrivateKey
	fp       string
	pkg      string
	archive  string
	size     int64
	marker   string // the file the package's script writes
	computer string
}

const (
	siteShare = "SMS_SITE"
	distShare = "SMS_PKG"
)

func newTestSite(t *testing.T, computer string) *testSite {
	t.Helper()
	srv := sambatest.Start(t, sambatest.Options{Shares: []string{siteShare, distShare}})
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s := &testSite{t: t, srv: srv, priv: priv, fp: protocol.Fingerprint(priv.Public().(ed25519.PublicKey)),
		pkg: "S0100001", marker: filepath.Join(t.TempDir(), "installed.txt"), computer: computer}
	site, err := protocol.EncodeSite(priv, protocol.SiteInfo{Code: "S01", Name: "Head Office", Published: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	s.write(siteShare, protocol.SiteFile, site)

	src := t.TempDir()
	script := "echo installing the tool\necho tool 1.0 > '" + s.marker + "'\necho done\n"
	if err := os.WriteFile(filepath.Join(src, "install.sh"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(srv.Dir(distShare), s.pkg)
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	st, _, err := pack.PackFile(context.Background(), src, dst, pack.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.archive, s.size = st.SHA256, st.Size
	return s
}

// write puts a file on a share the way the Administrator does: under a
// temporary name, then renamed.
func (s *testSite) write(share, name string, data []byte) {
	s.t.Helper()
	p := filepath.Join(s.srv.Dir(share), filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		s.t.Fatal(err)
	}
	if err := os.WriteFile(p+".tmp-x", data, 0o644); err != nil {
		s.t.Fatal(err)
	}
	if err := os.Rename(p+".tmp-x", p); err != nil {
		s.t.Fatal(err)
	}
}

// url is the site share as a user would type it, without the user.
func (s *testSite) url(share string) string {
	loc := s.srv.Location(share)
	loc.User = ""
	return loc.String()
}

func (s *testSite) offer(job, name string, mutate func(*protocol.Offer)) protocol.Offer {
	o := protocol.Offer{
		Job: job, Package: s.pkg, PackageName: name, PackageVersion: "1.0", Comment: "The team's tool.",
		Command: model.CommandLine{Name: "Install", Command: "sh install.sh", Automated: true,
			Platforms: []model.Platform{model.Platform(runtime.GOOS + "/" + runtime.GOARCH)}},
		OfferAfter: time.Now().Add(-time.Hour), Deferrals: model.DefaultDeferrals,
		Archive: s.archive, ArchiveSize: s.size, Generation: 1,
		Servers: []protocol.ServerRef{{Name: "DIST1", URL: s.url(distShare)}},
	}
	if mutate != nil {
		mutate(&o)
	}
	return o
}

// instruct signs and writes the computer's instruction file; it returns the
// bytes written.
func (s *testSite) instruct(offers ...protocol.Offer) []byte {
	s.t.Helper()
	data, err := protocol.EncodeInstructions(s.priv, protocol.Instructions{Format: protocol.InstructionsFormat,
		Site: "S01", Computer: s.computer, Generated: time.Now(),
		Sequence: uint64(time.Now().UnixMicro()), ValidUntil: time.Now().Add(protocol.DefaultValidity), Offers: offers})
	if err != nil {
		s.t.Fatal(err)
	}
	name, err := protocol.InstructionsPath(s.computer)
	if err != nil {
		s.t.Fatal(err)
	}
	s.write(siteShare, name, data)
	return data
}

// newEngine is the real client engine over a real client store in a temp
// dir, on the given clock.
func newEngine(t *testing.T, clock *fakeClock) *client.Engine {
	t.Helper()
	dir := t.TempDir()
	st, err := clientstore.Open(filepath.Join(dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	eng, err := client.New(client.Config{DataDir: filepath.Join(dir, "data"), Computer: "PC001", ClientVersion: "test",
		Now: clock.Now, Opener: shares.NewOpener()}, st)
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

// enrol goes through the enrolment dialog as a user would.
func enrol(t *testing.T, h *harness, s *testSite) {
	t.Helper()
	e := h.m.enrol
	if e.d == nil || !e.form.Visible() {
		t.Fatal("the enrolment form is not showing on first start")
	}
	cred := s.srv.Credentials()
	test.Type(e.share, s.url(siteShare))
	test.Type(e.user, cred.User)
	test.Type(e.password, cred.Password.Reveal())
	tap(t, e.connect)
	h.until("the site's fingerprint", e.confirm.Visible)
	if e.fingerprint.Text != s.fp || e.siteName.Text != "Head Office" || e.siteCode.Text != "S01" {
		t.Fatalf("confirmation shows %q (%q) %q; want Head Office (S01) %q", e.siteName.Text, e.siteCode.Text, e.fingerprint.Text, s.fp)
	}
	if _, ok := h.p.engine.Enrolled(); ok {
		t.Fatal("enrolled before the user pressed Trust")
	}
	tap(t, e.trust)
	h.until("enrolment", func() bool { return h.m.site.Text != "" })
}

func TestEndToEndEnrolExecuteHistory(t *testing.T) {
	site := newTestSite(t, "PC001")
	site.instruct(site.offer("S0100003", "Team Tool", nil))
	clock := newFakeClock(time.Now())
	h := newHarness(t, newEngine(t, clock), Config{Computer: "PC001"}, clock)
	h.p.Show()
	enrol(t, h, site)

	h.until("the offer", func() bool { return rows(h.m.offerTable) == 1 })
	for col, want := range []string{"Team Tool 1.0", "S0100003", "Install", "No", "—", "—", "Available"} {
		if got := cell(h.m.offerTable, 0, col); got != want {
			t.Errorf("offer column %q = %q, want %q", offerColumns[col], got, want)
		}
	}
	h.m.offerTable.Select(cellID(0, 0))
	if h.m.dCommand.Text != "sh install.sh" || h.m.dServers.Text != "DIST1" || h.m.dComment.Text != "The team's tool." {
		t.Errorf("details: command %q, servers %q, comment %q", h.m.dCommand.Text, h.m.dServers.Text, h.m.dComment.Text)
	}
	tap(t, h.m.execute)
	h.until("the run to finish", func() bool { return h.m.running == "" && rows(h.m.histTable) > 0 })
	if bannerShown(h.m) {
		t.Fatalf("banner after the run: %q", h.m.bannerText.Text)
	}
	if got, _ := os.ReadFile(site.marker); string(got) != "tool 1.0\n" {
		t.Fatalf("the script's effect on disk: %q", got)
	}
	if !strings.Contains(h.m.output.Text(), "installing the tool") || h.m.bar.Value != 1 {
		t.Errorf("output %q, bar %v", h.m.output.Text(), h.m.bar.Value)
	}
	h.until("the history row", func() bool { return cell(h.m.histTable, 0, 1) == "Team Tool" })
	for col, want := range map[int]string{2: "Install", 3: "Complete", 4: "0", 5: "No", 6: ""} {
		if got := cell(h.m.histTable, 0, col); got != want {
			t.Errorf("history column %q = %q, want %q", historyColumns[col], got, want)
		}
	}
	h.until("the offer's state", func() bool { return cell(h.m.offerTable, 0, stateColumn) == "Complete" })
	if h.app.menu.Items[0].Label != openLabel(0) {
		t.Errorf("tray label %q after the run", h.app.menu.Items[0].Label)
	}
}

func TestEndToEndMandatoryCountdown(t *testing.T) {
	site := newTestSite(t, "PC001")
	clock := newFakeClock(time.Now())
	due := clock.Now().Add(10 * time.Minute)
	site.instruct(site.offer("S0100007", "Security Patch", func(o *protocol.Offer) { o.MandatoryAfter = due }))
	h := newHarness(t, newEngine(t, clock), Config{Computer: "PC001", Countdown: 5 * time.Minute}, clock)
	h.p.Show()
	enrol(t, h, site)
	h.until("the offer", func() bool { return rows(h.m.offerTable) == 1 })
	if h.m.countdown != nil {
		t.Fatal("countdown before the mandatory time")
	}

	// Each Later spends one deferral; the engine moves the due time on by an
	// hour, when the countdown comes back.
	for left := model.DefaultDeferrals; ; left-- {
		clock.Advance(time.Hour)
		h.until("the countdown", func() bool { return h.m.countdown != nil })
		c := h.m.countdown
		if !strings.Contains(c.text.Text, "will run in 5:00") {
			t.Fatalf("countdown says %q", c.text.Text)
		}
		if left == 0 {
			if !c.later.Disabled() {
				t.Fatal("Later is enabled with the deferrals spent")
			}
			break
		}
		if c.later.Text != "Later ("+string(rune('0'+left))+" left)" {
			t.Errorf("Later says %q with %d left", c.later.Text, left)
		}
		tap(t, c.later)
		h.until("the dialog to close", func() bool { return h.m.countdown == nil })
		if _, err := os.Stat(site.marker); err == nil {
			t.Fatal("ran although the user said Later")
		}
	}
	c := h.m.countdown
	clock.Advance(4 * time.Minute)
	h.until("the countdown to move", func() bool { return strings.Contains(c.text.Text, "will run in 1:00") })
	clock.Advance(time.Minute)
	h.until("the mandatory run", func() bool { return h.m.countdown == nil && h.m.running == "" && rows(h.m.histTable) > 0 })
	if got := cell(h.m.histTable, 0, 4); got != "0" {
		t.Errorf("exit code %q; banner %q", got, h.m.bannerText.Text)
	}
	if _, err := os.Stat(site.marker); err != nil {
		t.Fatalf("the mandatory run left no effect: %v", err)
	}
}

// tamper edits the payload of a signed envelope and keeps its signature.
func tamper(t *testing.T, signed []byte, old, new string) []byte {
	t.Helper()
	var env map[string]string
	if err := json.Unmarshal(signed, &env); err != nil {
		t.Fatal(err)
	}
	payload, err := base64.StdEncoding.DecodeString(env["payload"])
	if err != nil {
		t.Fatal(err)
	}
	edited := bytes.Replace(payload, []byte(old), []byte(new), 1)
	if bytes.Equal(edited, payload) {
		t.Fatalf("%q is not in the payload", old)
	}
	env["payload"] = base64.StdEncoding.EncodeToString(edited)
	out, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestEndToEndTamperedInstructionsRefused(t *testing.T) {
	site := newTestSite(t, "PC001")
	signed := site.instruct(site.offer("S0100003", "Team Tool", nil))
	clock := newFakeClock(time.Now())
	h := newHarness(t, newEngine(t, clock), Config{Computer: "PC001"}, clock)
	h.p.Show()
	enrol(t, h, site)
	h.until("the offer", func() bool { return rows(h.m.offerTable) == 1 })

	// Someone who can write the share edits the command after signing.
	tampered := tamper(t, signed, "sh install.sh", "sh evil.sh")
	name, _ := protocol.InstructionsPath("PC001")
	site.write(siteShare, name, tampered)
	tap(t, h.m.refresh)
	h.until("the refusal", func() bool { return bannerShown(h.m) })
	got := h.m.bannerText.Text
	t.Logf("banner: %s", got)
	if !strings.HasPrefix(got, "Could not refresh the offers: ") || !strings.Contains(got, "instructions refused") ||
		!strings.Contains(got, "changed after signing") || strings.Count(got, "\n") != 0 || !strings.HasSuffix(got, ".") {
		t.Errorf("banner %q", got)
	}
	if rows(h.m.offerTable) != 0 {
		t.Error("offers from refused instructions are still shown")
	}
	if cell(h.m.histTable, 0, 6) != got {
		t.Errorf("History does not show the refusal: %q", cell(h.m.histTable, 0, 6))
	}
}

func TestEndToEndErrorsAreSentences(t *testing.T) {
	site := newTestSite(t, "PC001")
	site.instruct(site.offer("S0100003", "Team Tool", nil))
	// The archive on the distribution share is not what the site signed:
	// a valid one of the same size whose script would leave the marker,
	// so only the hash check stands between it and running.
	evil := t.TempDir()
	if err := os.WriteFile(filepath.Join(evil, "install.sh"), []byte("echo evil > '"+site.marker+"'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	arc := filepath.Join(site.srv.Dir(distShare), site.pkg, site.archive+pack.ArchiveExt)
	if err := os.WriteFile(arc, packtest.Substitute(t, evil, site.size), 0o644); err != nil {
		t.Fatal(err)
	}
	clock := newFakeClock(time.Now())
	h := newHarness(t, newEngine(t, clock), Config{Computer: "PC001"}, clock)
	h.p.Show()
	enrol(t, h, site)
	h.until("the offer", func() bool { return rows(h.m.offerTable) == 1 })
	h.m.offerTable.Select(cellID(0, 0))
	tap(t, h.m.execute)
	h.until("the failed run", func() bool { return h.m.running == "" && bannerShown(h.m) })
	got := h.m.bannerText.Text
	t.Logf("verification: %s", got)
	if !strings.HasPrefix(got, "Could not run Team Tool 1.0: ") || !strings.Contains(got, "signed hash") || strings.Contains(got, "\n") || !strings.HasSuffix(got, ".") {
		t.Errorf("banner %q", got)
	}
	if _, err := os.Stat(site.marker); err == nil {
		t.Fatal("an archive that failed verification ran")
	}
	h.until("the failure in History", func() bool { return rows(h.m.histTable) > 0 && cell(h.m.histTable, 0, 3) == "Failed" })
	if cell(h.m.histTable, 0, 6) == "" {
		t.Error("History shows no error for the failed run")
	}

	// The site share goes away: the refresh fails with a sentence, and the
	// offers verified before stay.
	site.srv.Stop()
	clock.Advance(time.Minute)
	h.m.onDismissBanner()
	tap(t, h.m.refresh)
	h.until("the unreachable share", func() bool { return bannerShown(h.m) })
	got = h.m.bannerText.Text
	t.Logf("unreachable: %s", got)
	if !strings.HasPrefix(got, "Could not refresh the offers: ") || strings.Contains(got, "\n") || strings.Contains(got, site.srv.Credentials().Password.Reveal()) {
		t.Errorf("banner %q", got)
	}
	if rows(h.m.offerTable) != 1 {
		t.Error("the offers of the last good poll went away with the share")
	}
	if cell(h.m.histTable, 0, 1) != "Refresh" || cell(h.m.histTable, 0, 6) != got {
		t.Errorf("History: %q %q", cell(h.m.histTable, 0, 1), cell(h.m.histTable, 0, 6))
	}
}

// Two windows attached to one agent count the same mandatory job down; the
// one whose countdown ends second finds it no longer due and runs nothing.
func TestCountdownEndingAfterAnotherRanItRunsNothing(t *testing.T) {
	site := newTestSite(t, "PC001")
	clock := newFakeClock(time.Now())
	site.instruct(site.offer("S0100007", "Security Patch", func(o *protocol.Offer) { o.MandatoryAfter = clock.Now().Add(time.Minute) }))
	eng := newEngine(t, clock)
	h := newHarness(t, eng, Config{Computer: "PC001", Countdown: 5 * time.Minute}, clock)
	h.p.Show()
	enrol(t, h, site)
	h.until("the offer", func() bool { return rows(h.m.offerTable) == 1 })
	clock.Advance(2 * time.Minute)
	h.until("the countdown", func() bool { return h.m.countdown != nil })
	// The other window's countdown ended first.
	if _, err := eng.RunIfDue(context.Background(), "S0100007", nil); err != nil {
		t.Fatal(err)
	}
	c := h.m.countdown
	c.onRunNow()
	h.until("the run to end", func() bool { return h.m.running == "" })
	if hs, err := eng.History(context.Background()); err != nil || len(hs) != 1 {
		t.Fatalf("the package ran %d times (%v)", len(hs), err)
	}
	if bannerShown(h.m) {
		t.Errorf("banner: %q", h.m.bannerText.Text)
	}
	if !strings.Contains(h.m.step.Text, "no longer due") {
		t.Errorf("the window says %q", h.m.step.Text)
	}
}

// A run the window did not start (the agent's own, another window's) shows
// in the window as it ends, without waiting for the next poll.
func TestRunsStartedElsewhereShowAtOnce(t *testing.T) {
	site := newTestSite(t, "PC001")
	site.instruct(site.offer("S0100003", "Team Tool", nil))
	clock := newFakeClock(time.Now())
	eng := newEngine(t, clock)
	h := newHarness(t, eng, Config{Computer: "PC001"}, clock)
	h.p.Show()
	enrol(t, h, site)
	h.until("the offer", func() bool { return rows(h.m.offerTable) == 1 })
	if _, err := eng.Run(context.Background(), "S0100003", nil); err != nil {
		t.Fatal(err)
	}
	h.until("the run elsewhere in the history", func() bool { return rows(h.m.histTable) == 1 && cell(h.m.histTable, 0, 3) == "Complete" })
	h.until("the offer's state", func() bool { return cell(h.m.offerTable, 0, stateColumn) == "Complete" })
}
