package pcm

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"opensms/core/model"
	"opensms/core/protocol"
)

// scriptedEngine injects what the presentation tests need: answers and
// faults on demand. The end-to-end tests use the real engine.
type scriptedEngine struct {
	mu       sync.Mutex
	clock    *fakeClock
	enrolled *Enrollment
	site     protocol.SiteInfo
	fp       string
	probeErr error
	pollErr  error
	offers   []Offer
	hist     []HistoryEntry
	trusted  []string
	runs     []string
	polls    int
	exit     int
	reboot   model.Reboot
	runErr   error // what Run returns, as the engine does for a failing exit code
}

func (e *scriptedEngine) Probe(ctx context.Context, share string, cred model.Credentials) (protocol.SiteInfo, string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.site, e.fp, e.probeErr
}

func (e *scriptedEngine) Enroll(ctx context.Context, share string, cred model.Credentials, computer, fp string) (Enrollment, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.trusted = append(e.trusted, fp)
	en := Enrollment{SiteShare: share, SiteCode: e.site.Code, SiteName: e.site.Name, Fingerprint: fp, Computer: computer}
	e.enrolled = &en
	return en, nil
}

func (e *scriptedEngine) Enrolled() (Enrollment, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.enrolled == nil {
		return Enrollment{}, false
	}
	return *e.enrolled, true
}

func (e *scriptedEngine) Poll(ctx context.Context) ([]Offer, error) {
	e.mu.Lock()
	e.polls++
	err := e.pollErr
	e.mu.Unlock()
	return e.Offers(), err
}

func (e *scriptedEngine) Offers() []Offer {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.clock.Now()
	out := make([]Offer, len(e.offers))
	for i, o := range e.offers {
		if o.State == OfferAvailable && o.Mandatory && !now.Before(o.DueAt) {
			o.State = OfferDue
		}
		out[i] = o
	}
	return out
}

// RunIfDue runs as Run: the scripted offers do not change meanwhile.
func (e *scriptedEngine) RunIfDue(ctx context.Context, job string, progress func(Progress)) (HistoryEntry, error) {
	return e.Run(ctx, job, progress)
}

func (e *scriptedEngine) Run(ctx context.Context, job string, progress func(Progress)) (HistoryEntry, error) {
	progress(Progress{Step: StepDownload, Done: 50, Total: 100, Server: "DIST1"})
	progress(Progress{Step: StepVerify, Done: 100, Total: 100})
	progress(Progress{Step: StepUnpack, Done: 2})
	progress(Progress{Step: StepRun, Output: "hello from the package\n"})
	e.mu.Lock()
	defer e.mu.Unlock()
	e.runs = append(e.runs, job)
	code := e.exit
	h := HistoryEntry{Job: job, PackageName: "Tool", Command: "Install", Started: e.clock.Now(), Finished: e.clock.Now(),
		State: model.TargetComplete, ExitCode: &code, Reboot: e.reboot, OutputTail: "hello from the package\n"}
	for i := range e.offers {
		if e.offers[i].Job == job {
			e.offers[i].State = OfferComplete
			e.offers[i].Last = &h
		}
	}
	if e.runErr != nil {
		h.State = model.TargetFailed
	}
	e.hist = append([]HistoryEntry{h}, e.hist...)
	return h, e.runErr
}

func (e *scriptedEngine) Defer(ctx context.Context, job string) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i := range e.offers {
		o := &e.offers[i]
		if o.Job != job {
			continue
		}
		if o.DeferralsLeft <= 0 {
			return 0, fmt.Errorf("job %s: %w", job, ErrNoDeferralsLeft)
		}
		o.DeferralsLeft--
		o.DueAt = e.clock.Now().Add(time.Hour)
		o.State = OfferAvailable
		return o.DeferralsLeft, nil
	}
	return 0, errors.New("not offered")
}

func (e *scriptedEngine) History(ctx context.Context) ([]HistoryEntry, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]HistoryEntry(nil), e.hist...), nil
}

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func offer(job, name string) Offer {
	return Offer{Offer: protocol.Offer{Job: job, Package: "S0100001", PackageName: name, PackageVersion: "1.0",
		Comment: "A tool.", Command: model.CommandLine{Name: "Install", Command: "sh install.sh", Automated: true},
		ArchiveSize: 123456, Servers: []protocol.ServerRef{{Name: "DIST1"}, {Name: "DIST2"}}, Generation: 1},
		State: OfferAvailable, DeferralsLeft: 3}
}

func TestEnrolShowsFingerprintAndTrustsOnlyOnConfirm(t *testing.T) {
	clock := newFakeClock(t0)
	eng := &scriptedEngine{clock: clock, site: protocol.SiteInfo{Code: "S01", Name: "Head Office"}, fp: "SHA256:abc"}
	h := newHarness(t, eng, Config{Computer: "PC001"}, clock)
	h.p.Show()
	e := h.m.enrol
	if e.computer.Text != "PC001" {
		t.Fatalf("computer pre-filled with %q", e.computer.Text)
	}
	if !e.password.Password {
		t.Fatal("password entry is not masked")
	}
	tap(t, e.connect)
	if !strings.Contains(e.formMsg.Text, "Site share") {
		t.Fatalf("empty share: message %q", e.formMsg.Text)
	}
	test.Type(e.share, `\\siteserver\SMS_SITE`)
	test.Type(e.user, `CORP\alice`)
	test.Type(e.password, "secret")
	tap(t, e.connect)
	h.until("the confirmation", e.confirm.Visible)
	if e.siteName.Text != "Head Office" || e.siteCode.Text != "S01" || e.fingerprint.Text != "SHA256:abc" {
		t.Fatalf("confirmation shows %q %q %q", e.siteName.Text, e.siteCode.Text, e.fingerprint.Text)
	}
	if len(eng.trusted) != 0 {
		t.Fatal("trusted before the user confirmed")
	}
	tap(t, e.back)
	if !e.form.Visible() || len(eng.trusted) != 0 {
		t.Fatal("Cancel did not go back without trusting")
	}
	e.password.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn}) // Enter connects too
	h.until("the confirmation again", e.confirm.Visible)
	tap(t, e.trust)
	h.until("enrolled", func() bool { _, ok := eng.Enrolled(); return ok && h.m.site.Text != "" })
	if eng.trusted[0] != "SHA256:abc" {
		t.Fatalf("trusted %q", eng.trusted)
	}
	if got := h.m.site.Text; !strings.Contains(got, "Head Office (S01)") || !strings.Contains(got, "PC001") {
		t.Fatalf("site label %q", got)
	}
}

func TestProbeErrorIsOneSentence(t *testing.T) {
	clock := newFakeClock(t0)
	eng := &scriptedEngine{clock: clock, probeErr: errors.New("connecting to 127.0.0.1:1: server unreachable")}
	h := newHarness(t, eng, Config{Computer: "PC001"}, clock)
	h.p.Show()
	test.Type(h.m.enrol.share, `smb://127.0.0.1:1/SITE`)
	tap(t, h.m.enrol.connect)
	h.until("the error", func() bool { return strings.Contains(h.m.enrol.formMsg.Text, "unreachable") })
	want := "Could not read the site share smb://127.0.0.1:1/SITE: connecting to 127.0.0.1:1: server unreachable."
	if got := h.m.enrol.formMsg.Text; got != want {
		t.Fatalf("message %q, want %q", got, want)
	}
}

func TestOffersExecuteHistoryTrayAndNotification(t *testing.T) {
	clock := newFakeClock(t0)
	eng := &scriptedEngine{clock: clock, enrolled: &Enrollment{SiteCode: "S01", SiteName: "Head Office", Computer: "PC001"},
		offers: []Offer{offer("S0100003", "Tool")}, exit: 3010, reboot: model.RebootSoft}
	h := newHarness(t, eng, Config{}, clock)
	h.p.Show()
	h.until("the offer", func() bool { return rows(h.m.offerTable) == 1 })
	for col, want := range []string{"Tool 1.0", "S0100003", "Install", "No", "—", "—", "Available"} {
		if got := cell(h.m.offerTable, 0, col); got != want {
			t.Errorf("column %q = %q, want %q", offerColumns[col], got, want)
		}
	}
	if got := h.app.menu.Items[0].Label; got != "Open Package Command Manager (1 pending)" {
		t.Errorf("tray label %q", got)
	}
	if len(h.app.sent()) != 0 {
		t.Errorf("notified at first poll: %v", h.app.sent())
	}
	if !h.m.execute.Disabled() {
		t.Error("Execute enabled with nothing selected")
	}
	h.m.offerTable.Select(cellID(0, 0))
	if h.m.dComment.Text != "A tool." || h.m.dServers.Text != "DIST1, DIST2" || h.m.dSize.Text != "120.6 KB" {
		t.Errorf("details %q %q %q", h.m.dComment.Text, h.m.dServers.Text, h.m.dSize.Text)
	}
	tap(t, h.m.execute)
	h.until("the run to finish", func() bool { return h.m.running == "" && rows(h.m.histTable) == 1 })
	if h.m.bar.Value != 1 || !strings.Contains(h.m.output.Text(), "hello from the package") {
		t.Errorf("bar %v, output %q", h.m.bar.Value, h.m.output.Text())
	}
	if got := cell(h.m.histTable, 0, 4); got != "3010" {
		t.Errorf("history exit code %q", got)
	}
	if got := cell(h.m.histTable, 0, 5); got != "Soft" {
		t.Errorf("history reboot %q", got)
	}
	if got := overlayText(h.m.win); !strings.Contains(got, "needs a restart") {
		t.Errorf("no restart notice; overlay says %q", got)
	}
	if got := cell(h.m.offerTable, 0, stateColumn); got != "Restart needed" {
		t.Errorf("state after the run %q", got)
	}

	// A new offer at the next poll: a notification and a new count.
	eng.mu.Lock()
	eng.offers = append(eng.offers, offer("S0100004", "Editor"))
	eng.mu.Unlock()
	tap(t, h.m.refresh)
	h.until("the second offer", func() bool { return rows(h.m.offerTable) == 2 })
	if n := h.app.sent(); len(n) != 1 || !strings.Contains(n[0].Content, "Editor 1.0") {
		t.Errorf("notifications %v", n)
	}
	if got := h.app.menu.Items[0].Label; got != "Open Package Command Manager (1 pending)" {
		t.Errorf("tray label %q", got)
	}

	// A refresh that fails: one sentence in the banner and in History.
	eng.mu.Lock()
	clock.Advance(time.Minute)
	eng.pollErr = fmt.Errorf("instructions refused: instructions/PC001.ins: %w", errors.New("bad signature"))
	eng.mu.Unlock()
	h.m.onRefresh()
	h.until("the banner", func() bool { return bannerShown(h.m) })
	want := "Could not refresh the offers: instructions refused: instructions/PC001.ins: bad signature."
	if h.m.bannerText.Text != want {
		t.Errorf("banner %q, want %q", h.m.bannerText.Text, want)
	}
	if got := cell(h.m.histTable, 0, 6); got != want {
		t.Errorf("history error %q", got)
	}
	eng.mu.Lock()
	eng.pollErr = nil
	eng.mu.Unlock()
	h.m.onRefresh()
	h.until("the banner to go", func() bool { return !bannerShown(h.m) })

	// Closing the window keeps the polling: the tray's Refresh still works.
	h.m.win.Close()
	if h.p.ctx.Err() != nil {
		t.Fatal("closing the window stopped the window's work")
	}
	eng.mu.Lock()
	eng.offers = eng.offers[:1]
	eng.mu.Unlock()
	h.app.menu.Items[1].Action()
	h.until("the withdrawn offer to go", func() bool { return rows(h.m.offerTable) == 1 })

	// The tray's Quit stops everything: the polling loop ends, and the
	// clock ticking on polls no more.
	quit := h.app.menu.Items[len(h.app.menu.Items)-1]
	if !quit.IsQuit || quit.Label != "Quit" {
		t.Fatalf("last tray item %q", quit.Label)
	}
	quit.Action()
	done := make(chan struct{})
	go func() { h.p.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the window's goroutines still run after Quit")
	}
	eng.mu.Lock()
	polls := eng.polls
	eng.mu.Unlock()
	clock.Advance(time.Hour)
	time.Sleep(50 * time.Millisecond)
	eng.mu.Lock()
	defer eng.mu.Unlock()
	if eng.polls != polls {
		t.Fatal("polled after Quit")
	}
}

func TestMandatoryCountdownLaterThenRuns(t *testing.T) {
	clock := newFakeClock(t0)
	o := offer("S0100005", "Patch")
	o.Mandatory, o.MandatoryAfter, o.DueAt, o.DeferralsLeft = true, t0.Add(time.Minute), t0.Add(time.Minute), 2
	eng := &scriptedEngine{clock: clock, enrolled: &Enrollment{SiteCode: "S01", SiteName: "Head Office", Computer: "PC001"}, offers: []Offer{o}}
	h := newHarness(t, eng, Config{Countdown: 5 * time.Minute, DueCheck: 10 * time.Second}, clock)
	h.p.Show()
	h.until("the offer", func() bool { return rows(h.m.offerTable) == 1 })
	if h.m.countdown != nil {
		t.Fatal("countdown before the offer is due")
	}
	for left := 2; left >= 0; left-- {
		clock.Advance(time.Hour) // past the due time (or the end of the last deferral)
		h.until("the countdown", func() bool { return h.m.countdown != nil })
		c := h.m.countdown
		if !strings.Contains(c.text.Text, "will run in 5:00") {
			t.Fatalf("countdown says %q", c.text.Text)
		}
		if left == 0 {
			if !c.later.Disabled() {
				t.Fatal("Later enabled with no deferrals left")
			}
			break
		}
		tap(t, c.later)
		h.until("the dialog to close", func() bool { return h.m.countdown == nil })
	}
	c := h.m.countdown
	clock.Advance(2 * time.Minute)
	h.until("the countdown to move", func() bool { return strings.Contains(c.text.Text, "3:00") })
	if len(eng.runs) != 0 {
		t.Fatal("ran before the end of the countdown")
	}
	clock.Advance(3 * time.Minute)
	h.until("the run", func() bool { return h.m.countdown == nil && h.m.running == "" && len(eng.runs) == 1 })
}
