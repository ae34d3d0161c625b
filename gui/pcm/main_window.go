package pcm

import (
	"context"
	"errors"
	"fmt"
	"image/color"
	"slices"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"opensms/core/model"
)

const (
	windowTitle = "Package Command Manager"
	outputLimit = 8 << 10 // bytes of a run's output kept on screen
)

// historyRow is one line of the History tab: a run the engine recorded, or
// an error the window met (a refresh that failed) that has no run of its own.
type historyRow struct {
	when                               time.Time
	what, command, state, exit, reboot string
	rebootLong                         string
	errText                            string
	output                             string
}

// mainWindow is the Package Command Manager's window: offers, details,
// Execute with its progress, History, and the error banner.
type mainWindow struct {
	p   *PCM
	win fyne.Window

	notEnrolled *fyne.Container
	enrolled    *fyne.Container

	banner     *fyne.Container
	bannerText *widget.Label

	execute *widget.Button
	refresh *widget.Button
	site    *widget.Label
	status  *widget.Label

	tabs       *container.AppTabs
	offersTab  *container.TabItem
	historyTab *container.TabItem
	offerTable *widget.Table
	histTable  *widget.Table
	hDetail    *widget.Label
	hOutput    *widget.TextGrid

	dTitle, dComment, dCommand, dSize, dServers, dMandatory, dRuns, dLast *widget.Label
	// dFields holds the labelled fields under dTitle, hidden while no
	// offer is selected (bare "Comment", "Size"… beside nothing).
	dFields *fyne.Container

	step *widget.Label
	// noOffers says why the offers list is empty; its panel stands in for
	// the table while it is.
	noOffers      *widget.Label
	noOffersPanel *fyne.Container
	bar           *widget.ProgressBar
	output        *widget.TextGrid

	enrol     *enrolDialog
	countdown *countdownDialog // the one showing, or nil

	// State below belongs to the UI goroutine.
	enrollment  Enrollment
	offers      []Offer
	history     []HistoryEntry
	local       []historyRow
	rows        []historyRow // history and local, newest first
	selected    string       // job ID
	running     string       // job ID of the run in progress
	runQueue    []string     // mandatory runs waiting for the current one
	seen        map[string]bool
	bannerPoll  bool // the banner shows a refresh error
	lastRefresh time.Time
	// lastFailed is when the last refresh failed, zero after a good one: the
	// status line must not call offers from an older poll fresh.
	lastFailed time.Time
	busy       string

	// Progress reports arrive on the run's goroutine; only the latest is
	// drawn, and at most one redraw waits on the UI goroutine at a time.
	progressMu      sync.Mutex
	progressLatest  Progress
	progressOutput  string
	progressPending bool
}

func newMainWindow(p *PCM) *mainWindow {
	return &mainWindow{p: p}
}

func (m *mainWindow) buildUI() {
	m.win = m.p.app.NewWindow(windowTitle)
	m.win.SetIcon(m.p.icon)
	m.enrol = newEnrolDialog(m)

	m.bannerText = &widget.Label{Importance: widget.DangerImportance, Wrapping: fyne.TextWrapWord}
	bg := canvas.NewRectangle(color.NRGBA{R: 0xd3, G: 0x2f, B: 0x2f, A: 0x28})
	bg.CornerRadius = theme.InputRadiusSize()
	dismiss := &widget.Button{Icon: theme.CancelIcon(), Importance: widget.LowImportance, OnTapped: m.onDismissBanner}
	m.banner = container.NewStack(bg, container.NewBorder(nil, nil, widget.NewIcon(theme.ErrorIcon()), dismiss, m.bannerText))
	m.banner.Hide()

	m.execute = &widget.Button{Text: "Execute", Icon: theme.MediaPlayIcon(), Importance: widget.HighImportance, OnTapped: m.onExecute}
	m.execute.Disable()
	m.refresh = &widget.Button{Text: "Refresh", Icon: theme.ViewRefreshIcon(), OnTapped: m.onRefresh}
	m.site = &widget.Label{Truncation: fyne.TextTruncateEllipsis}
	toolbar := container.NewBorder(nil, nil, container.NewHBox(m.execute, m.refresh), nil, m.site)

	m.offerTable = widget.NewTableWithHeaders(m.offerSize, newCell, m.updateOfferCell)
	m.offerTable.ShowHeaderColumn = false
	m.offerTable.CreateHeader = newHeader
	m.offerTable.UpdateHeader = headerUpdater(offerColumns)
	m.offerTable.OnSelected = m.onSelectOffer
	for i, w := range offerWidths {
		m.offerTable.SetColumnWidth(i, w)
	}

	newValue := func() *widget.Label { return &widget.Label{Wrapping: fyne.TextWrapWord, Selectable: true} }
	m.dTitle = &widget.Label{TextStyle: fyne.TextStyle{Bold: true}, Wrapping: fyne.TextWrapWord, Text: "Select an offer to see its details."}
	m.dComment, m.dCommand, m.dSize, m.dServers, m.dMandatory, m.dRuns, m.dLast = newValue(), newValue(), newValue(), newValue(), newValue(), newValue(), newValue()
	field := func(name string) *widget.Label {
		return &widget.Label{Text: name, TextStyle: fyne.TextStyle{Bold: true}}
	}
	m.dFields = container.New(layout.NewFormLayout(),
		field("Comment"), m.dComment,
		field("Command"), m.dCommand,
		field("Size"), m.dSize,
		field("Servers"), m.dServers,
		field("Mandatory"), m.dMandatory,
		field("Runs"), m.dRuns,
		field("Last run"), m.dLast,
	)
	m.dFields.Hide()
	details := container.NewVBox(m.dTitle, m.dFields)

	m.step = &widget.Label{Text: idleStep, Truncation: fyne.TextTruncateEllipsis}
	m.bar = &widget.ProgressBar{Max: 1}
	m.output = widget.NewTextGrid()
	out := container.NewVScroll(m.output)
	out.SetMinSize(fyne.NewSize(0, 80))
	m.bar.Hide() // until the first run
	progress := container.NewBorder(container.NewVBox(m.step, m.bar), nil, nil, nil, out)

	// The table takes the whole width; below it the selected offer's
	// details and the run's progress sit side by side. The details get
	// more of the width: at half, a mandatory offer's wrapped lines pushed
	// "Last run" out of sight.
	below := container.NewHSplit(container.NewVScroll(details), progress)
	below.Offset = 0.6
	// An empty table said nothing, and a sentence drawn over it was grey
	// and crossed by its column lines: the sentence takes the table's
	// place instead, in normal text, until there is something to show.
	m.noOffers = &widget.Label{Text: noOffersText(""), Alignment: fyne.TextAlignCenter}
	m.noOffersPanel = container.NewCenter(container.NewVBox(widget.NewIcon(theme.InfoIcon()), m.noOffers))
	m.noOffersPanel.Hide()
	split := container.NewVSplit(container.NewStack(m.offerTable, m.noOffersPanel), below)
	// The details below need room for all seven fields ("Last run" was
	// cut off at 0.45).
	split.Offset = 0.35
	m.offersTab = container.NewTabItemWithIcon("Offers", theme.DownloadIcon(), split)

	m.histTable = widget.NewTableWithHeaders(func() (int, int) { return len(m.rows), len(historyColumns) }, newCell, m.updateHistoryCell)
	m.histTable.ShowHeaderColumn = false
	m.histTable.CreateHeader = newHeader
	m.histTable.UpdateHeader = headerUpdater(historyColumns)
	for i, w := range historyWidths {
		m.histTable.SetColumnWidth(i, w)
	}
	m.histTable.OnSelected = m.onSelectHistory
	m.hDetail = &widget.Label{Wrapping: fyne.TextWrapWord, Selectable: true, Text: "Select a line to read all of it."}
	m.hOutput = widget.NewTextGrid()
	hBelow := container.NewHSplit(container.NewVScroll(m.hDetail), container.NewScroll(m.hOutput))
	hSplit := container.NewVSplit(m.histTable, hBelow)
	hSplit.Offset = 0.6
	m.historyTab = container.NewTabItemWithIcon("History", theme.HistoryIcon(), hSplit)
	m.tabs = container.NewAppTabs(m.offersTab, m.historyTab)

	// Normal contrast: the line says how fresh the offers are, which a
	// user reads, not a disabled control's grey.
	m.status = &widget.Label{Truncation: fyne.TextTruncateEllipsis}
	m.enrolled = container.NewBorder(container.NewVBox(toolbar), m.status, nil, nil, m.tabs)

	enrolButton := &widget.Button{Text: "Enrol…", Icon: theme.LoginIcon(), Importance: widget.HighImportance, OnTapped: m.enrol.show}
	m.notEnrolled = container.NewCenter(container.NewVBox(
		&widget.Label{Text: "This computer is not enrolled with an OpenSMS site.", Alignment: fyne.TextAlignCenter},
		container.NewCenter(enrolButton),
	))

	// A menu keeps Quit in reach where no tray shows.
	m.win.SetMainMenu(fyne.NewMainMenu(fyne.NewMenu("File",
		&fyne.MenuItem{Label: "Refresh", Action: m.onRefresh},
		&fyne.MenuItem{Label: "About…", Action: m.onAbout},
		fyne.NewMenuItemSeparator(),
		&fyne.MenuItem{Label: "Quit", IsQuit: true, Action: m.p.Quit},
	)))
	m.win.SetContent(container.NewBorder(m.banner, nil, nil, nil, m.notEnrolled))
	m.win.Resize(fyne.NewSize(1040, 660))
}

const (
	idleStep = "Select an offer and press Execute to run it."
)

var (
	// Job tells apart two offers of one package and command line (the
	// same program, offered by two jobs: say one mandatory, one not).
	offerColumns   = []string{"Name", "Job", "Command line", "Requires input", "Mandatory after", "Expires", "State"}
	offerWidths    = []float32{220, 90, 160, 120, 140, 140, 140}
	historyColumns = []string{"When", "Package", "Command line", "Result", "Exit code", "Reboot", "Error"}
	historyWidths  = []float32{140, 170, 140, 90, 80, 150, 260}
)

func newCell() fyne.CanvasObject {
	return &widget.Label{Truncation: fyne.TextTruncateEllipsis}
}

func newHeader() fyne.CanvasObject {
	return &widget.Label{TextStyle: fyne.TextStyle{Bold: true}, Truncation: fyne.TextTruncateEllipsis}
}

func headerUpdater(names []string) func(widget.TableCellID, fyne.CanvasObject) {
	return func(id widget.TableCellID, o fyne.CanvasObject) {
		if id.Col >= 0 && id.Col < len(names) {
			o.(*widget.Label).SetText(names[id.Col])
		}
	}
}

func (m *mainWindow) offerSize() (int, int) { return len(m.offers), len(offerColumns) }

func (m *mainWindow) updateOfferCell(id widget.TableCellID, o fyne.CanvasObject) {
	if id.Row < 0 || id.Row >= len(m.offers) {
		return
	}
	o.(*widget.Label).SetText(offerCell(m.offers[id.Row], id.Col, m.running))
}

// offerCell is the text of one cell of the offers table.
func offerCell(o Offer, col int, running string) string {
	switch col {
	case 0:
		return offerName(o)
	case 1:
		return o.Job
	case 2:
		return o.Command.Name
	case 3:
		return yesNo(o.NeedsInput)
	case 4:
		return when(o.MandatoryAfter)
	case 5:
		return when(o.ExpiresAfter)
	case 6:
		if o.Job == running {
			return "Running"
		}
		return stateText(o)
	}
	return ""
}

func offerName(o Offer) string {
	name := o.PackageName
	if name == "" {
		name = o.Package
	}
	if o.PackageVersion != "" {
		name += " " + o.PackageVersion
	}
	return name
}

func (m *mainWindow) updateHistoryCell(id widget.TableCellID, o fyne.CanvasObject) {
	if id.Row < 0 || id.Row >= len(m.rows) {
		return
	}
	r := m.rows[id.Row]
	l := o.(*widget.Label)
	l.Importance = widget.MediumImportance
	var s string
	switch id.Col {
	case 0:
		s = when(r.when)
	case 1:
		s = r.what
	case 2:
		s = r.command
	case 3:
		s = r.state
	case 4:
		s = r.exit
	case 5:
		s = r.reboot
	case 6:
		s = r.errText
		if s != "" {
			l.Importance = widget.DangerImportance
		}
	}
	l.SetText(s)
}

// showNotEnrolled shows the invitation to enrol and opens the form.
func (m *mainWindow) showNotEnrolled() {
	m.win.SetContent(container.NewBorder(m.banner, nil, nil, nil, m.notEnrolled))
	m.enrol.show()
}

// onEnrolled switches to the offers and starts polling.
func (m *mainWindow) onEnrolled(en Enrollment) {
	m.enrollment = en
	m.site.SetText(siteText(en))
	m.noOffers.SetText(noOffersText(en.Computer))
	m.win.SetContent(container.NewBorder(m.banner, nil, nil, nil, m.enrolled))
	m.updateStatus()
	m.p.startService()
}

func (m *mainWindow) onRefresh() {
	m.p.requestRefresh()
}

func (m *mainWindow) onDismissBanner() {
	m.bannerPoll = false
	m.banner.Hide()
}

// showError puts one sentence in the banner.
func (m *mainWindow) showError(s string) {
	m.bannerPoll = false
	m.bannerText.SetText(s)
	m.banner.Show()
}

// addLocal records an error the window met in History. A refresh that keeps
// failing the same way updates its row rather than filling the tab.
func (m *mainWindow) addLocal(r historyRow) {
	if n := len(m.local); n > 0 && m.local[n-1].what == r.what && m.local[n-1].errText == r.errText {
		m.local[n-1].when = r.when
	} else {
		m.local = append(m.local, r)
	}
	m.mergeHistory()
}

func (m *mainWindow) setBusy(s string) {
	m.busy = s
	m.updateStatus()
}

func (m *mainWindow) updateStatus() {
	parts := []string{}
	if m.busy != "" {
		parts = append(parts, m.busy)
	} else if !m.lastFailed.IsZero() {
		s := "Refresh failed at " + m.lastFailed.Local().Format("15:04:05")
		if !m.lastRefresh.IsZero() {
			s += "; offers as of " + m.lastRefresh.Local().Format("15:04:05")
		}
		parts = append(parts, s)
	} else if !m.lastRefresh.IsZero() {
		// It looked stuck: it changes only at each poll, so say that the
		// window polls by itself, and how often.
		parts = append(parts, fmt.Sprintf("Refreshed %s; refreshes itself every %s", m.lastRefresh.Local().Format("15:04:05"), shortDuration(m.p.cfg.PollInterval)))
	}
	n := pendingCount(m.offers)
	parts = append(parts, fmt.Sprintf("%d offered, %d pending", len(m.offers), n))
	if m.p.cfg.Attached != "" {
		parts = append(parts, m.p.cfg.Attached)
	}
	m.status.SetText(strings.Join(parts, " · "))
	title := windowTitle
	if n > 0 {
		title = fmt.Sprintf("%s (%d pending)", windowTitle, n)
	}
	m.win.SetTitle(title)
	if m.p.tray != nil {
		m.p.tray.setPending(n)
	}
}

// polled takes the result of a poll: the offers, or the sentence saying why
// the poll failed (the offers are then the last ones known).
func (m *mainWindow) polled(now time.Time, offers []Offer, err error) {
	if err != nil {
		m.lastFailed = now
	} else {
		m.lastRefresh, m.lastFailed = now, time.Time{}
	}
	if err != nil {
		s := sentence("could not refresh the offers", err)
		if en, ok := m.p.engine.Enrolled(); ok {
			if cause, ok := shareCause(en.SiteShare, en.Credentials.User, err); ok {
				s = sentence("could not refresh the offers", errors.New(cause))
			}
		}
		m.showError(s)
		m.bannerPoll = true
		m.addLocal(historyRow{when: now, what: "Refresh", state: "Refused", errText: s})
	} else if m.bannerPoll {
		m.onDismissBanner()
	}
	m.notifyNew(offers)
	m.setOffers(offers)
	m.checkDue()
}

// notifyNew sends a notification for each offer that was not there at the
// previous poll. The first poll after start notifies nothing: the window is
// showing them.
func (m *mainWindow) notifyNew(offers []Offer) {
	first := m.seen == nil
	seen := make(map[string]bool, len(offers))
	for _, o := range offers {
		seen[o.Job] = true
		if !first && !m.seen[o.Job] {
			m.p.app.SendNotification(fyne.NewNotification("New software offered",
				fmt.Sprintf("%s (%s) is offered to this computer.", offerName(o), o.Command.Name)))
		}
	}
	m.seen = seen
}

// setOffers shows offers, keeping the selection when its offer is still there.
func (m *mainWindow) setOffers(offers []Offer) {
	m.offers = offers
	m.offerTable.Refresh()
	if len(offers) == 0 {
		m.offerTable.Hide()
		m.noOffersPanel.Show()
	} else {
		m.noOffersPanel.Hide()
		m.offerTable.Show()
	}
	idx := slices.IndexFunc(m.offers, func(o Offer) bool { return o.Job == m.selected })
	if idx < 0 {
		if m.selected != "" && m.running == "" {
			// The offer whose run the pane showed is gone: its output
			// under no selection read as another's.
			m.step.SetText(idleStep)
			m.output.SetText("")
			m.bar.Hide()
		}
		m.selected = ""
		m.offerTable.UnselectAll()
	}
	m.showDetails()
	m.updateStatus()
	if c := m.countdown; c != nil {
		if i := slices.IndexFunc(offers, func(o Offer) bool { return o.Job == c.offer.Job }); i < 0 || !isPending(offers[i]) {
			c.close() // withdrawn, expired, or run meanwhile
		}
	}
}

func (m *mainWindow) selectedOffer() (Offer, bool) {
	i := slices.IndexFunc(m.offers, func(o Offer) bool { return o.Job == m.selected })
	if i < 0 {
		return Offer{}, false
	}
	return m.offers[i], true
}

func (m *mainWindow) onSelectOffer(id widget.TableCellID) {
	if id.Row < 0 || id.Row >= len(m.offers) {
		return
	}
	m.selected = m.offers[id.Row].Job
	m.showDetails()
}

func (m *mainWindow) showDetails() {
	o, ok := m.selectedOffer()
	if !ok {
		m.dTitle.SetText("Select an offer to see its details.")
		for _, l := range []*widget.Label{m.dComment, m.dCommand, m.dSize, m.dServers, m.dMandatory, m.dRuns, m.dLast} {
			l.SetText("")
		}
		m.dFields.Hide()
		m.execute.Disable()
		return
	}
	m.dTitle.SetText(fmt.Sprintf("%s — %s (job %s)", offerName(o), o.Command.Name, o.Job))
	m.dComment.SetText(orDash(o.Comment))
	m.dCommand.SetText(o.Command.Command)
	m.dSize.SetText(size(o.ArchiveSize))
	names := make([]string, 0, len(o.Servers))
	for _, s := range o.Servers {
		names = append(names, s.Name)
	}
	m.dServers.SetText(orDash(strings.Join(names, ", ")))
	m.dMandatory.SetText(mandatoryText(o))
	m.dRuns.SetText(runsText(o, m.p.cfg.Attached != ""))
	m.dLast.SetText(lastRunText(o.Last))
	m.dFields.Show()
	if m.running == "" {
		m.execute.Enable()
	} else {
		m.execute.Disable()
	}
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "—"
	}
	return s
}

func mandatoryText(o Offer) string {
	if !o.Mandatory && o.MandatoryAfter.IsZero() {
		return "No"
	}
	due := o.DueAt
	if due.IsZero() {
		due = o.MandatoryAfter
	}
	if !isPending(o) { // it ran: no countdown, no postponing left to offer
		return fmt.Sprintf("Was mandatory at %s; nothing left to do", when(due))
	}
	if !o.Mandatory { // a slow link excuses it
		return fmt.Sprintf("Not on this slow link (mandatory after %s elsewhere)", when(o.MandatoryAfter))
	}
	return fmt.Sprintf("Runs at %s. %s", when(due), deferralsText(o.DeferralsLeft))
}

func lastRunText(h *HistoryEntry) string {
	if h == nil {
		return "Never"
	}
	s := fmt.Sprintf("%s, %s", when(h.Finished), resultText(*h))
	if h.ExitCode != nil {
		s += fmt.Sprintf(", exit code %d", *h.ExitCode)
	}
	return s
}

func (m *mainWindow) onExecute() {
	if o, ok := m.selectedOffer(); ok {
		m.startRun(o.Job, false)
	}
}

// startRun runs job through the engine, showing its progress. One run at a
// time: a mandatory run that comes due meanwhile waits its turn. dueOnly
// (a countdown's run, and so every queued one) runs it only if it is still
// due, so that two windows counting the same job down run it once.
func (m *mainWindow) startRun(job string, dueOnly bool) {
	if m.running != "" {
		if m.running != job && !slices.Contains(m.runQueue, job) {
			m.runQueue = append(m.runQueue, job)
		}
		return
	}
	name := job
	if i := slices.IndexFunc(m.offers, func(o Offer) bool { return o.Job == job }); i >= 0 {
		name = offerName(m.offers[i])
	}
	m.running = job
	m.execute.Disable()
	m.tabs.Select(m.offersTab)
	m.bar.SetValue(0)
	m.bar.Show()
	m.step.SetText(fmt.Sprintf("Starting %s…", name))
	m.output.SetText("")
	m.offerTable.Refresh()
	m.progressMu.Lock()
	m.progressOutput, m.progressLatest, m.progressPending = "", Progress{}, false
	m.progressMu.Unlock()
	m.p.goWork(func(ctx context.Context) {
		run := m.p.engine.Run
		if dueOnly {
			run = m.p.engine.RunIfDue
		}
		h, err := run(ctx, job, m.onProgress)
		if ctx.Err() != nil {
			return
		}
		m.p.ui(func() { m.runFinished(job, name, h, err) })
		m.p.reload(ctx)
	})
}

// onProgress runs on the run's goroutine.
func (m *mainWindow) onProgress(pr Progress) {
	m.progressMu.Lock()
	m.progressLatest = pr
	if pr.Output != "" {
		m.progressOutput = tail(m.progressOutput+pr.Output, outputLimit)
	}
	pending := m.progressPending
	m.progressPending = true
	m.progressMu.Unlock()
	if !pending {
		m.p.ui(m.drawProgress)
	}
}

func (m *mainWindow) drawProgress() {
	m.progressMu.Lock()
	pr, out := m.progressLatest, m.progressOutput
	m.progressPending = false
	m.progressMu.Unlock()
	if m.running == "" {
		return // a late report after the run ended
	}
	frac, label := progressOf(pr)
	m.bar.SetValue(frac)
	m.step.SetText(label)
	m.output.SetText(out)
}

func (m *mainWindow) runFinished(job, name string, h HistoryEntry, err error) {
	m.running = ""
	if h.OutputTail != "" {
		m.output.SetText(tail(h.OutputTail, outputLimit))
	}
	switch {
	case errors.Is(err, ErrNotDue):
		m.bar.Hide()
		m.step.SetText(fmt.Sprintf("%s is no longer due: it ran, or was postponed, elsewhere.", name))
	case err != nil:
		// The bar stood where the run stopped (75% at Run) and read as a
		// run still going: the sentence says how it ended.
		m.bar.Hide()
		s := sentence("could not run "+name, err)
		m.step.SetText(s)
		m.showError(s)
		if h.Job == "" { // the engine kept no history of it: the window does
			m.addLocal(historyRow{when: m.p.cfg.Clock.Now(), what: name, state: "Failed", errText: s})
		}
	default:
		m.bar.SetValue(1)
		m.step.SetText(fmt.Sprintf("%s: %s, exit code %s.", name, resultText(h), exitCode(h.ExitCode)))
		if h.Error != "" {
			m.showError(sentence(name, fmt.Errorf("%s", h.Error)))
		}
	}
	if h.Job != "" {
		m.history = append([]HistoryEntry{h}, slices.DeleteFunc(m.history, func(e HistoryEntry) bool {
			return e.Job == h.Job && e.Started.Equal(h.Started)
		})...)
		m.mergeHistory()
	}
	if msg := rebootMessage(h); msg != "" {
		dialog.ShowInformation("Restart needed", msg, m.win)
	}
	m.offerTable.Refresh()
	m.showDetails()
	if len(m.runQueue) > 0 {
		next := m.runQueue[0]
		m.runQueue = m.runQueue[1:]
		m.startRun(next, true)
	}
}

// setHistory shows the engine's history.
func (m *mainWindow) setHistory(h []HistoryEntry) {
	m.history = h
	m.mergeHistory()
}

func (m *mainWindow) mergeHistory() {
	rows := make([]historyRow, 0, len(m.history)+len(m.local))
	for _, h := range m.history {
		rows = append(rows, historyRowOf(h))
	}
	rows = append(rows, m.local...)
	slices.SortStableFunc(rows, func(a, b historyRow) int { return b.when.Compare(a.when) })
	m.rows = rows
	m.histTable.Refresh()
	m.histTable.UnselectAll()
	m.hDetail.SetText("Select a line to read all of it.")
	m.hOutput.SetText("")
}

// onSelectHistory shows the whole of one history line, and the output's
// tail, below the table.
func (m *mainWindow) onSelectHistory(id widget.TableCellID) {
	if id.Row < 0 || id.Row >= len(m.rows) {
		return
	}
	r := m.rows[id.Row]
	lines := []string{fmt.Sprintf("%s — %s", r.what, when(r.when))}
	if r.command != "" {
		lines = append(lines, "Command line: "+r.command)
	}
	lines = append(lines, "Result: "+r.state)
	if r.exit != "" && r.exit != "—" {
		lines = append(lines, "Exit code: "+r.exit)
	}
	if r.reboot != "" && r.reboot != "No" {
		lines = append(lines, "Reboot: "+r.rebootLong)
	}
	if r.errText != "" {
		lines = append(lines, "", r.errText)
	}
	m.hDetail.SetText(strings.Join(lines, "\n"))
	m.hOutput.SetText(r.output)
}

func historyRowOf(h HistoryEntry) historyRow {
	name := h.PackageName
	if name == "" {
		name = h.Package
	}
	t := h.Finished
	if t.IsZero() {
		t = h.Started
	}
	r := historyRow{when: t, what: name, command: h.Command, state: resultText(h), exit: exitCode(h.ExitCode),
		reboot: rebootText(h.Reboot), rebootLong: rebootLong(h.Reboot), output: h.OutputTail}
	if h.Error != "" {
		r.errText = sentence("", fmt.Errorf("%s", h.Error))
	}
	return r
}

func resultText(h HistoryEntry) string {
	switch h.State {
	case model.TargetComplete:
		if h.AlreadyInstalled {
			return "Already installed" // the detection rules held; nothing ran
		}
		return "Complete"
	case model.TargetFailed:
		return "Failed"
	case model.TargetRunning:
		return "Running"
	case model.TargetRetrying:
		return "Retrying"
	}
	return capitalise(string(h.State))
}

// checkDue opens the countdown for the first mandatory offer whose time has
// come, unless one is already counting down.
func (m *mainWindow) checkDue() {
	if m.countdown != nil {
		return
	}
	for _, o := range m.offers {
		if o.State != OfferDue || o.Job == m.running || slices.Contains(m.runQueue, o.Job) {
			continue
		}
		if m.p.cfg.Attached != "" && unattended(o) {
			continue // the agent runs it by itself
		}
		m.countdown = newCountdownDialog(m, o)
		m.countdown.show()
		return
	}
}

func siteText(en Enrollment) string {
	return fmt.Sprintf("Site %s (%s) · Computer %s", en.SiteName, en.SiteCode, en.Computer)
}

// noOffersText says why the offers list may be empty. The client cannot
// tell an empty list from a site that has not accepted the computer (both
// leave it no instruction file), and a name the site does not know joins
// awaiting the administrator's approval: say so, naming the computer the
// administrator will see.
func noOffersText(computer string) string {
	if computer == "" {
		computer = "this computer"
	}
	return "Nothing is offered to " + computer + " yet. New offers appear here at the next refresh.\n" +
		"If the site did not know " + computer + " before, it waits until an administrator approves it."
}

// onAbout says which build this is, and whether it runs packages itself or
// through the client agent: what a support call asks first.
func (m *mainWindow) onAbout() {
	v := m.p.cfg.Version
	if v == "" {
		v = "dev"
	}
	text := windowTitle + ", version " + v
	if m.p.cfg.Attached != "" {
		text += "\n" + m.p.cfg.Attached
	}
	d := dialog.NewCustom("About", "Close", &widget.Label{Text: text, Selectable: true}, m.win)
	d.Show()
}
