package pcm

import (
	"errors"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"opensms/core/model"
)

// An empty offers list said nothing; a finished mandatory job still read
// "Runs at …, postpone 2 more"; after the run's offer went away the result
// pane still showed its output; "Refreshed" never said how often it
// changes.
func TestOffersSayWhatIsAndIsNot(t *testing.T) {
	h, eng, _ := enrolledPCM(t, "PC001")
	if !h.m.noOffersPanel.Visible() || !strings.Contains(h.m.noOffers.Text, "Nothing is offered") {
		t.Errorf("an empty offers list shows %q (visible %v)", h.m.noOffers.Text, h.m.noOffersPanel.Visible())
	}
	// The sentence is a message in its own place: normal text, and no
	// table (whose column lines ran through it) behind it.
	if h.m.offerTable.Visible() || h.m.noOffers.Importance != widget.MediumImportance {
		t.Errorf("the empty-list sentence is drawn over the table (%v) or dimmed (importance %v)", h.m.offerTable.Visible(), h.m.noOffers.Importance)
	}
	if got := h.m.status.Text; !strings.Contains(got, "refreshes itself every 5m") {
		t.Errorf("the status line %q does not say how often it refreshes", got)
	}

	done := offer("S0100007", "Tool")
	done.Mandatory, done.DueAt, done.DeferralsLeft = true, t0.Add(-time.Hour), 2
	done.State = OfferComplete
	eng.mu.Lock()
	eng.offers = []Offer{done, offer("S0100008", "Other")}
	eng.mu.Unlock()
	h.m.onRefresh()
	h.until("the offers", func() bool { return rows(h.m.offerTable) == 2 })
	if h.m.noOffersPanel.Visible() || !h.m.offerTable.Visible() {
		t.Error("the empty-list sentence shows instead of two offers")
	}
	h.m.offerTable.Select(cellID(0, 0))
	if got := h.m.dMandatory.Text; strings.Contains(got, "Runs at") || strings.Contains(got, "postpone") {
		t.Errorf("a finished mandatory job reads %q", got)
	}

	h.m.offerTable.Select(cellID(1, 0))
	tap(t, h.m.execute)
	h.until("the run to finish", func() bool { return h.m.running == "" && rows(h.m.histTable) >= 1 })
	if h.m.output.Text() == "" {
		t.Fatal("the run showed no output")
	}
	eng.mu.Lock()
	eng.offers = nil
	eng.mu.Unlock()
	h.m.onRefresh()
	h.until("the offers gone", func() bool { return rows(h.m.offerTable) == 0 })
	if got := h.m.output.Text(); got != "" || h.m.step.Text != idleStep || h.m.bar.Visible() {
		t.Errorf("with nothing selected the result pane shows %q / %q (bar %v)", h.m.step.Text, got, h.m.bar.Visible())
	}
}

// TestStatusLineReadsAndRefreshesItself: "Refreshed 10:40:55 (every 5m)"
// was drawn in the disabled grey and read as if it were stuck. It is normal
// text, says that the window refreshes by itself, and does so when the
// interval has passed, without Refresh.
func TestStatusLineReadsAndRefreshesItself(t *testing.T) {
	h, _, clock := enrolledPCM(t, "PC9")
	if h.m.status.Importance != widget.MediumImportance {
		t.Errorf("the status line is drawn with importance %v, not as normal text", h.m.status.Importance)
	}
	first := h.m.status.Text
	if want := "Refreshed " + t0.Local().Format("15:04:05") + "; refreshes itself every 5m"; !strings.HasPrefix(first, want) {
		t.Errorf("the status line reads %q, want it to start %q", first, want)
	}
	clock.Advance(5 * time.Minute)
	later := "Refreshed " + t0.Add(5*time.Minute).Local().Format("15:04:05")
	h.until("the refresh the interval brings", func() bool { return strings.HasPrefix(h.m.status.Text, later) })
}

// TestAnEmptyListNamesTheComputerAndApproval: a PCM enrolled under a name
// the site did not know said only "Nothing is offered to this computer
// yet", while the site held it awaiting approval. The sentence names the
// computer as the administrator sees it and says that it may wait for
// approval.
func TestAnEmptyListNamesTheComputerAndApproval(t *testing.T) {
	h, _, _ := enrolledPCM(t, "PC9")
	got := h.m.noOffers.Text
	if !h.m.noOffersPanel.Visible() || !strings.Contains(got, "Nothing is offered to PC9 yet") || !strings.Contains(got, "waits until an administrator approves it") {
		t.Errorf("an empty list for PC9 reads %q (visible %v)", got, h.m.noOffersPanel.Visible())
	}
}

// TestAFailedRunDoesNotLookUnfinished: after a run whose command exited 3
// the progress bar stayed at 75% under "Could not run …", as if the run
// were still going. The bar goes; the sentence says how it ended.
func TestAFailedRunDoesNotLookUnfinished(t *testing.T) {
	h, eng, _ := enrolledPCM(t, "PC001", offer("S0100008", "Tool"))
	eng.mu.Lock()
	eng.runErr = errors.New("job S0100008 failed: the command exited with code 3, which is not a success code")
	eng.mu.Unlock()
	h.until("the offer", func() bool { return rows(h.m.offerTable) == 1 })
	h.m.offerTable.Select(cellID(0, 0))
	tap(t, h.m.execute)
	h.until("the run to end", func() bool {
		eng.mu.Lock()
		defer eng.mu.Unlock()
		return h.m.running == "" && len(eng.runs) == 1
	})
	if h.m.bar.Visible() || !strings.Contains(h.m.step.Text, "exited with code 3") {
		t.Errorf("after a failed run the bar shows %v (at %.2f) and the step reads %q", h.m.bar.Visible(), h.m.bar.Value, h.m.step.Text)
	}
}

// TestLastRunShowsForAMandatoryOffer: at the window's 1040×660 a mandatory
// offer's details ("Runs at …. You may postpone it 3 more times." and the
// two-line "Runs") pushed "Last run" below the details pane's edge. The
// details pane is wide enough that all seven fields show without
// scrolling.
func TestLastRunShowsForAMandatoryOffer(t *testing.T) {
	o := offer("S0100002", "Hello OpenSMS")
	o.MandatoryAfter, o.Mandatory, o.DueAt = t0.Add(2*time.Minute), true, t0.Add(2*time.Minute)
	code := 0
	o.Last = &HistoryEntry{Job: o.Job, Started: t0.Add(-time.Hour), Finished: t0.Add(-time.Hour), State: model.TargetComplete, ExitCode: &code}
	h, _, _ := enrolledPCM(t, "PC9", o)
	h.until("the offer", func() bool { return rows(h.m.offerTable) == 1 })
	h.m.offerTable.Select(cellID(0, 0))
	if h.m.dLast.Text == "" || !strings.Contains(h.m.dMandatory.Text, "postpone") {
		t.Fatalf("the details read Mandatory %q, Last run %q", h.m.dMandatory.Text, h.m.dLast.Text)
	}
	var pane *container.Scroll
	for _, obj := range test.LaidOutObjects(h.m.win.Content()) {
		if s, ok := obj.(*container.Scroll); ok {
			for _, in := range test.LaidOutObjects(s.Content) {
				if in == h.m.dLast {
					pane = s
				}
			}
		}
	}
	if pane == nil {
		t.Fatal("no scroll holds the details")
	}
	d := fyne.CurrentApp().Driver()
	bottom := d.AbsolutePositionForObject(h.m.dLast).Y + h.m.dLast.Size().Height
	if edge := d.AbsolutePositionForObject(pane).Y + pane.Size().Height; bottom > edge+0.5 {
		t.Errorf("Last run ends at y=%.0f, below the details pane's edge at y=%.0f", bottom, edge)
	}
}

// enrolledPCM shows a PCM enrolled as computer, with the offers, after its
// first refresh.
func enrolledPCM(t *testing.T, computer string, offers ...Offer) (*harness, *scriptedEngine, *fakeClock) {
	t.Helper()
	clock := newFakeClock(t0)
	eng := &scriptedEngine{clock: clock, enrolled: &Enrollment{SiteCode: "S01", SiteName: "Head Office", Computer: computer}, offers: offers}
	h := newHarness(t, eng, Config{PollInterval: 5 * time.Minute}, clock)
	h.p.Show()
	h.until("the first refresh", func() bool { return !h.m.lastRefresh.IsZero() })
	return h, eng, clock
}

// Two jobs offering the same package's same command line (one mandatory,
// one not) read alike in every column: nothing told the user which was
// which before selecting each.
func TestOffersOfOneProgramTellThemselvesApart(t *testing.T) {
	a, b := offer("S0100004", "Tool"), offer("S0100005", "Tool")
	b.Mandatory, b.DueAt = true, t0.Add(time.Hour)
	h, _, _ := enrolledPCM(t, "PC001", a, b)
	h.until("the offers", func() bool { return rows(h.m.offerTable) == 2 })
	row := func(r int) string {
		cols := make([]string, len(offerColumns))
		for c := range cols {
			cols[c] = cell(h.m.offerTable, r, c)
		}
		return strings.Join(cols, " | ")
	}
	if row(0) == row(1) {
		t.Fatalf("two offers read alike: %q", row(0))
	}
	for _, job := range []string{"S0100004", "S0100005"} {
		if strings.Contains(row(0), job) == strings.Contains(row(1), job) {
			t.Errorf("job %s is not named by exactly one row: %q, %q", job, row(0), row(1))
		}
	}
}

// With no offer selected the details pane showed "Comment", "Command",
// "Size"… beside nothing under its "Select an offer" sentence.
func TestDetailsShowOnlyTheSentenceUntilAnOfferIsSelected(t *testing.T) {
	h, eng, _ := enrolledPCM(t, "PC001", offer("S0100004", "Tool"))
	h.until("the offer", func() bool { return rows(h.m.offerTable) == 1 })
	if h.m.dFields.Visible() || !strings.HasPrefix(h.m.dTitle.Text, "Select an offer") {
		t.Errorf("nothing selected: title %q, fields shown %v", h.m.dTitle.Text, h.m.dFields.Visible())
	}
	h.m.offerTable.Select(cellID(0, 0))
	if !h.m.dFields.Visible() || h.m.dComment.Text != "A tool." {
		t.Errorf("selected: fields shown %v, comment %q", h.m.dFields.Visible(), h.m.dComment.Text)
	}
	eng.mu.Lock()
	eng.offers = nil
	eng.mu.Unlock()
	h.m.onRefresh()
	h.until("the offer to go", func() bool { return rows(h.m.offerTable) == 0 })
	if h.m.dFields.Visible() || !strings.HasPrefix(h.m.dTitle.Text, "Select an offer") {
		t.Errorf("the selected offer went: title %q, fields shown %v", h.m.dTitle.Text, h.m.dFields.Visible())
	}
}
