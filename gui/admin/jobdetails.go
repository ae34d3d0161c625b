package admin

import (
	"context"
	"fmt"
	"os/user"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	adminapi "opensms/core/admin"
	"opensms/core/model"
	"opensms/core/watchdog"
)

var (
	jobTypes   = []model.JobType{model.JobRun, model.JobShare, model.JobRemove}
	sendModes  = []string{"Only if not previously sent", "Always recompress"}
	distModes  = []string{"Put on Default Servers", "Put on the servers of machine group"}
	priorities = []model.Priority{model.PriorityHigh, model.PriorityMedium, model.PriorityLow}
	repeats    = []model.Repeat{model.RepeatNever, model.RepeatDaily, model.RepeatWeekly, model.RepeatBiweekly, model.RepeatMonthly}
)

// newJob opens Job Details for a package dropped on a target.
func (a *Admin) newJob(p model.Package, t model.Target) {
	j := model.Job{}
	j.ApplyDefaults()
	now := time.Now().Truncate(time.Minute)
	j.Package, j.Target = p.ID, t
	j.Schedule.StartAfter = now
	j.Run.OfferAfter = now
	if len(p.Commands) > 0 {
		j.Run.Command = p.Commands[0].Name
	}
	newJobDetails(a, j, p, true).show()
}

// openJob opens Job Details for a stored job.
func (a *Admin) openJob(j model.Job) {
	background(a, a.ctx, func(ctx context.Context) (model.Package, error) {
		return a.api.GetPackage(ctx, j.Package)
	}, func(p model.Package, err error) {
		if err != nil {
			p = model.Package{ID: j.Package, Name: "(package not found)"}
		}
		newJobDetails(a, j, p, false).show()
	})
}

// jobDetails is SMS's Job Details dialog with its Details, Schedule and
// Status tabs. A new job is stored Pending on OK; a stored job can be edited
// while it is Pending, and its Status tab follows the watchdog live.
type jobDetails struct {
	adm    *Admin
	ctx    context.Context
	cancel context.CancelFunc
	job    model.Job
	pkg    model.Package
	isNew  bool

	// Details
	jobType     *widget.Select
	target      *widget.Label
	subsites    *widget.Check
	send        *widget.RadioGroup
	refresh     *widget.Check
	distribute  *widget.RadioGroup
	serverGroup *widget.Select
	command     *widget.Select
	offerAfter  *dateField
	mandatory   *dateField
	slowLinks   *widget.Check
	expires     *dateField
	deferrals   *widget.Entry
	comment     *widget.Entry

	// Schedule
	startAfter *dateField
	priority   *widget.Select
	repeat     *widget.Select

	// Status
	overall  *widget.Label
	sending  *widget.Label
	working  *widget.Label
	servers  *fyne.Container
	targets  []model.TargetStatus
	compList *widget.List
	compCols *columns // shared by the computers' header and rows
	// targetErr shows the selected computer's last error whole.
	targetErr *widget.Label
	// rerun offers the job again to the computers that failed it.
	rerun *widget.Button

	tabs    *container.AppTabs
	errText *widget.Label
	ok      *widget.Button
	dlg     *dialog.CustomDialog
	saving  bool
}

func newJobDetails(a *Admin, j model.Job, p model.Package, isNew bool) *jobDetails {
	ctx, cancel := context.WithCancel(a.ctx)
	return &jobDetails{adm: a, ctx: ctx, cancel: cancel, job: j, pkg: p, isNew: isNew}
}

func (jd *jobDetails) buildUI() fyne.CanvasObject {
	j := jd.job
	types := make([]string, len(jobTypes))
	for i, t := range jobTypes {
		types[i] = t.Title()
	}
	jd.jobType = &widget.Select{Options: types, Selected: j.Type.Title(), OnChanged: func(string) { jd.onTypeChanged() }}
	jd.target = &widget.Label{Text: j.Target.Title(), TextStyle: fyne.TextStyle{Bold: true}}
	jd.subsites = &widget.Check{Text: "Include sub-sites", Checked: j.Target.Subsites, OnChanged: func(bool) { jd.target.SetText(jd.currentTarget().Title()) }}
	if j.Target.Kind != model.TargetSite {
		jd.subsites.Hide()
	}
	jd.send = &widget.RadioGroup{Options: sendModes, Selected: sendModes[0], Horizontal: true, Required: true}
	if j.Send == model.SendAlways {
		jd.send.Selected = sendModes[1]
	}
	jd.refresh = &widget.Check{Text: "Refresh servers that already have the package", Checked: j.Distribute.RefreshExisting}
	jd.serverGroup = &widget.Select{PlaceHolder: "(choose a machine group)"}
	jd.distribute = &widget.RadioGroup{Options: distModes, Selected: distModes[0], Required: true, OnChanged: func(s string) {
		if s == distModes[1] {
			jd.serverGroup.Enable()
		} else {
			jd.serverGroup.Disable()
		}
	}}
	if j.Distribute.ServerGroup != "" {
		jd.distribute.Selected = distModes[1]
		jd.serverGroup.Selected = j.Distribute.ServerGroup
	} else {
		jd.serverGroup.Disable()
	}
	var cmds []string
	for _, c := range jd.pkg.Commands {
		cmds = append(cmds, c.Name)
	}
	jd.command = &widget.Select{Options: cmds, Selected: j.Run.Command, PlaceHolder: "(no command lines)"}
	jd.offerAfter = newDateField(j.Run.OfferAfter, "at once")
	jd.mandatory = newDateField(j.Run.MandatoryAfter, "never (optional)")
	jd.slowLinks = &widget.Check{Text: "Not mandatory over slow links", Checked: j.Run.NotMandatoryOverSlowLinks}
	jd.expires = newDateField(j.Run.ExpiresAfter, "never")
	jd.deferrals = &widget.Entry{Text: strconv.Itoa(j.Run.Deferrals)}
	jd.comment = &widget.Entry{Text: j.Comment}

	pkgText := jd.pkg.ID
	if jd.pkg.Name != "" {
		pkgText = jd.pkg.ID + " — " + jd.pkg.Title()
	}
	details := container.NewVScroll(container.NewVBox(
		widget.NewForm(
			widget.NewFormItem("Job type", jd.jobType),
			widget.NewFormItem("Package", &widget.Label{Text: pkgText, TextStyle: fyne.TextStyle{Bold: true}}),
			widget.NewFormItem("Target", container.NewHBox(jd.target, jd.subsites)),
			widget.NewFormItem("Comment", jd.comment),
		),
		&widget.Card{Subtitle: "Send phase", Content: jd.send},
		&widget.Card{Subtitle: "Distribute phase", Content: container.NewVBox(jd.refresh, container.NewBorder(nil, nil, jd.distribute, nil, container.NewVBox(layoutSpacer(), jd.serverGroup)))},
		&widget.Card{Subtitle: "Run phase", Content: widget.NewForm(
			widget.NewFormItem("Command line", jd.command),
			widget.NewFormItem("Offer after", jd.offerAfter.object()),
			widget.NewFormItem("Mandatory after", jd.mandatory.object()),
			widget.NewFormItem("", jd.slowLinks),
			widget.NewFormItem("Expires after", jd.expires.object()),
			widget.NewFormItem("Deferrals allowed", jd.deferrals),
		)},
	))

	prios := make([]string, len(priorities))
	for i, p := range priorities {
		prios[i] = p.Title()
	}
	reps := make([]string, len(repeats))
	for i, r := range repeats {
		reps[i] = r.Title()
	}
	jd.startAfter = newDateField(j.Schedule.StartAfter, "at once")
	jd.priority = &widget.Select{Options: prios, Selected: j.Schedule.Priority.Title()}
	jd.repeat = &widget.Select{Options: reps, Selected: j.Schedule.Repeat.Title()}
	schedule := container.NewVBox(widget.NewForm(
		widget.NewFormItem("Start after", jd.startAfter.object()),
		widget.NewFormItem("Priority", jd.priority),
		widget.NewFormItem("Repeat", jd.repeat),
	), &widget.Label{Text: "Dates are local time, typed as " + time.Now().Format(timeLayout) + " or picked with the calendar button.", Importance: widget.LowImportance})

	if !jd.editable() {
		// Disabled fields were grey on grey and hard to read: a job that can
		// no longer change shows its settings as plain text.
		details = container.NewVScroll(jd.readOnlyDetails(pkgText))
		schedule = container.NewVBox(jd.readOnlySchedule())
	}
	jd.tabs = container.NewAppTabs(
		container.NewTabItem("Details", details),
		container.NewTabItem("Schedule", schedule),
		container.NewTabItem("Status", jd.buildStatus()),
	)
	jd.errText = errorLabel()
	// Not the Status tab: a live update there is no edit.
	clearOnEdit(jd.errText, details)
	clearOnEdit(jd.errText, schedule)
	jd.onTypeChanged()
	jd.showStatus()
	if !jd.editable() {
		for _, d := range []interface{ Disable() }{jd.jobType, jd.subsites, jd.send, jd.refresh, jd.distribute, jd.serverGroup,
			jd.command, jd.offerAfter, jd.mandatory, jd.slowLinks, jd.expires, jd.deferrals, jd.comment, jd.startAfter, jd.priority, jd.repeat} {
			d.Disable()
		}
	}
	return container.NewBorder(nil, jd.errText, nil, nil, jd.tabs)
}

func layoutSpacer() fyne.CanvasObject { return widget.NewLabel("") }

// editable: a new or still Pending job may be changed.
func (jd *jobDetails) editable() bool {
	return jd.isNew || jd.job.Status.State == model.JobPending
}

func (jd *jobDetails) onTypeChanged() {
	if jd.selectedType() == model.JobRun {
		jd.command.Enable()
	} else {
		jd.command.Disable()
	}
}

func (jd *jobDetails) selectedType() model.JobType {
	for _, t := range jobTypes {
		if t.Title() == jd.jobType.Selected {
			return t
		}
	}
	return model.JobRun
}

func (jd *jobDetails) currentTarget() model.Target {
	t := jd.job.Target
	t.Subsites = t.Kind == model.TargetSite && jd.subsites.Checked
	return t
}

func (jd *jobDetails) show() {
	title := "Job Details"
	if !jd.isNew {
		title = "Job Details — " + jd.job.ID
	}
	jd.ok = &widget.Button{Text: "OK", Importance: widget.HighImportance, OnTapped: jd.onOK}
	cancel := &widget.Button{Text: "Cancel", OnTapped: func() { jd.dlg.Hide() }}
	if !jd.editable() {
		cancel.SetText("Close")
		jd.ok.Hide()
	}
	jd.dlg = dialog.NewCustomWithoutButtons(title, jd.buildUI(), jd.adm.win)
	jd.dlg.SetButtons([]fyne.CanvasObject{cancel, jd.ok})
	jd.dlg.SetOnClosed(jd.cancel)
	jd.dlg.Resize(fyne.NewSize(760, 640))
	jd.dlg.Show()
	jd.loadGroups()
	if !jd.isNew {
		jd.adm.follow(jd.ctx, jd.apply)
		jd.loadTargets()
	}
}

func (jd *jobDetails) loadGroups() {
	background(jd.adm, jd.ctx, func(ctx context.Context) ([]model.MachineGroup, error) {
		return jd.adm.api.ListGroups(ctx)
	}, func(gs []model.MachineGroup, err error) {
		if err != nil {
			return
		}
		names := make([]string, len(gs))
		for i, g := range gs {
			names[i] = g.Name
		}
		jd.serverGroup.Options = names
		jd.serverGroup.Refresh()
	})
}

// collect builds the job from the form; it fails with a sentence naming the
// field when a date or number cannot be read. The API checks the rest.
func (jd *jobDetails) collect() (model.Job, error) {
	j := jd.job
	j.Type = jd.selectedType()
	j.Target = jd.currentTarget()
	j.Send = model.SendIfNotSent
	if jd.send.Selected == sendModes[1] {
		j.Send = model.SendAlways
	}
	j.Distribute.RefreshExisting = jd.refresh.Checked
	if err := j.Distribute.SetServers(jd.distribute.Selected == distModes[1], jd.serverGroup.Selected); err != nil {
		return j, err
	}
	j.Comment = strings.TrimSpace(jd.comment.Text)
	j.Run.Command = ""
	if j.Type == model.JobRun {
		j.Run.Command = jd.command.Selected
	}
	var err error
	if j.Run.OfferAfter, err = parseTime("offer after", jd.offerAfter.entry.Text); err != nil {
		return j, err
	}
	if j.Run.MandatoryAfter, err = parseTime("mandatory after", jd.mandatory.entry.Text); err != nil {
		return j, err
	}
	if j.Run.ExpiresAfter, err = parseTime("expires after", jd.expires.entry.Text); err != nil {
		return j, err
	}
	j.Run.NotMandatoryOverSlowLinks = jd.slowLinks.Checked
	d := strings.TrimSpace(jd.deferrals.Text)
	if d == "" {
		d = "0"
	}
	if j.Run.Deferrals, err = strconv.Atoi(d); err != nil {
		return j, fmt.Errorf("deferrals %q is not a whole number", jd.deferrals.Text)
	}
	if j.Schedule.StartAfter, err = parseTime("start after", jd.startAfter.entry.Text); err != nil {
		return j, err
	}
	for _, p := range priorities {
		if p.Title() == jd.priority.Selected {
			j.Schedule.Priority = p
		}
	}
	for _, r := range repeats {
		if r.Title() == jd.repeat.Selected {
			j.Schedule.Repeat = r
		}
	}
	return j, nil
}

// onOK stores the job Pending (the API wakes the watchdog); a bad field
// leaves the dialog open with the sentence and stores nothing.
func (jd *jobDetails) onOK() {
	if jd.saving {
		return
	}
	j, err := jd.collect()
	if err != nil {
		jd.refuse(err)
		return
	}
	jd.errText.SetText("")
	jd.saving = true
	jd.ok.Disable()
	a := jd.adm
	background(a, a.ctx, func(ctx context.Context) (adminapi.JobCreated, error) {
		if jd.isNew {
			return a.api.AddJob(ctx, j)
		}
		saved, err := a.api.UpdateJob(ctx, j)
		return adminapi.JobCreated{Job: saved}, err
	}, func(res adminapi.JobCreated, err error) {
		jd.saving = false
		jd.ok.Enable()
		if err != nil {
			jd.refuse(err)
			return
		}
		saved := res.Job
		jd.job = saved
		a.status.setMessage(fmt.Sprintf("Job %s (%s → %s) is pending.", saved.ID, saved.Package, saved.Target.Title()))
		jd.dlg.Hide()
		if len(res.Warnings) > 0 {
			dialog.ShowInformation("Job "+saved.ID, sentence(strings.Join(res.Warnings, ".\n")), a.win)
		}
		if a.jobs != nil {
			a.jobs.reload()
		}
	})
}

// refuse shows why the job was not stored, on the tab of the field at fault.
func (jd *jobDetails) refuse(err error) {
	jd.errText.SetText(err.Error())
	jd.tabs.SelectIndex(0)
	if s := err.Error(); strings.HasPrefix(s, "start after") || strings.HasPrefix(s, "priority") || strings.HasPrefix(s, "repeat") {
		jd.tabs.SelectIndex(1)
	}
}

func (jd *jobDetails) buildStatus() fyne.CanvasObject {
	// Errors can be long (a server's refusal, its address and what to do):
	// they wrap rather than widen the dialog past the window.
	jd.overall = &widget.Label{TextStyle: fyne.TextStyle{Bold: true}, Wrapping: fyne.TextWrapWord}
	jd.targetErr = &widget.Label{Wrapping: fyne.TextWrapWord, Importance: widget.DangerImportance}
	jd.sending = &widget.Label{}
	jd.working = &widget.Label{}
	jd.servers = container.NewVBox()
	jd.compCols = jd.adm.listColumns("jobcomputers", "Computer", "State", "Exit", "Reboot", "Tries", "Next action", "Joined", "Last error")
	jd.compList = &widget.List{
		Length:     func() int { return len(jd.targets) },
		CreateItem: func() fyne.CanvasObject { return jd.compCols.row() },
		UpdateItem: func(id widget.ListItemID, o fyne.CanvasObject) {
			o.(*cellRow).setTexts(targetCells(jd.targets[id]))
		},
	}
	jd.compList.OnSelected = func(id widget.ListItemID) {
		t := jd.targets[id]
		if t.LastError == "" {
			jd.targetErr.SetText("")
			return
		}
		jd.targetErr.SetText(t.Computer + ": " + t.LastError)
	}
	jd.compList.ExtendBaseWidget(jd.compList)
	jd.rerun = &widget.Button{Text: "Run again on failed computers", OnTapped: jd.onRerun}
	jd.rerun.Disable()
	top := container.NewVBox(
		widget.NewForm(
			widget.NewFormItem("Overall", jd.overall),
			widget.NewFormItem("Sending", jd.sending),
			widget.NewFormItem("Working", jd.working),
		),
		&widget.Label{Text: "Distribution servers", TextStyle: fyne.TextStyle{Bold: true}},
		jd.servers,
		container.NewBorder(nil, nil, &widget.Label{Text: "Computers", TextStyle: fyne.TextStyle{Bold: true}}, jd.rerun),
		jd.compCols.header(),
	)
	return container.NewBorder(top, jd.targetErr, nil, nil, jd.compList)
}

// showStatus draws the job's status as it is known now.
func (jd *jobDetails) showStatus() {
	s := jd.job.Status
	if jd.isNew {
		jd.overall.SetText("Not stored yet: OK makes it Pending.")
		return
	}
	overall := s.State.Title()
	// A finished job's sentence already carries its outcomes ("no
	// computer succeeded (1 failed)"): say them once.
	if o := s.Outcomes(); o != "" && !strings.Contains(s.LastError, o) {
		overall += " — " + o
	}
	expired := !jd.job.Run.ExpiresAfter.IsZero() && time.Now().After(jd.job.Run.ExpiresAfter)
	if s.TargetsFailed > 0 && jd.job.Type == model.JobRun && s.State != model.JobCanceled && !expired {
		jd.rerun.Enable()
	} else {
		jd.rerun.Disable()
	}
	if s.LastError != "" {
		overall += " — " + s.LastError
	}
	if !s.NextAction.IsZero() {
		overall += " — next action " + s.NextAction.Local().Format("15:04:05")
	}
	jd.overall.SetText(overall)
	jd.sending.SetText(phaseTitle(s.Sending, s.Archive, s.ArchiveSize))
	jd.working.SetText(phaseTitle(s.Working, "", 0))
	var rows []fyne.CanvasObject
	for _, name := range sortedKeys(s.Servers) {
		st := s.Servers[name]
		bar := &widget.ProgressBar{Max: 1}
		if st.BytesTotal > 0 {
			bar.Value = float64(st.BytesDone) / float64(st.BytesTotal)
		}
		if st.State == model.PhaseComplete {
			bar.Value = 1
		}
		text := fmt.Sprintf("%s: %s", name, phaseTitle(st.State, "", 0))
		if st.Attempts > 1 {
			text += fmt.Sprintf(", attempt %d", st.Attempts)
		}
		rows = append(rows, container.NewGridWithColumns(2, &widget.Label{Text: text, Truncation: fyne.TextTruncateEllipsis}, bar))
		if st.LastError != "" {
			// Whole, under its server: cut short it lost the part that
			// says what to do.
			rows = append(rows, &widget.Label{Text: st.LastError, Wrapping: fyne.TextWrapWord, Importance: widget.DangerImportance})
		}
	}
	if len(rows) == 0 {
		rows = append(rows, &widget.Label{Text: "None yet.", Importance: widget.LowImportance})
	}
	jd.servers.Objects = rows
	jd.servers.Refresh()
}

func phaseTitle(p model.PhaseState, archive string, size int64) string {
	t := p.Title()
	if t == "" {
		t = "Not started"
	}
	if archive != "" {
		t += fmt.Sprintf(" (archive %.12s…, %s)", archive, model.FormatBytes(size))
	}
	return t
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sortStrings(keys)
	return keys
}

// apply takes the Watch stream's changes of this job.
func (jd *jobDetails) apply(us []adminapi.Change) {
	changed := false
	for _, u := range us {
		if u.Kind == watchdog.UpdateJob && u.Job != nil && u.Job.ID == jd.job.ID {
			jd.job.Status = u.Job.Status
			changed = true
		}
	}
	if changed {
		jd.showStatus()
		jd.loadTargets()
	}
}

func (jd *jobDetails) loadTargets() {
	id := jd.job.ID
	background(jd.adm, jd.ctx, func(ctx context.Context) (adminapi.JobStatus, error) {
		return jd.adm.api.GetJob(ctx, id)
	}, func(js adminapi.JobStatus, err error) {
		if err != nil {
			return
		}
		jd.targets = js.Computers
		jd.compCols.fit(len(jd.targets), func(i int) []string { return targetCells(jd.targets[i]) })
		jd.compList.Refresh()
	})
}

// targetCells is what a computer's row of the Status tab shows, a text a
// column.
func targetCells(t model.TargetStatus) []string {
	exit := ""
	if t.ExitCode != nil {
		exit = strconv.Itoa(*t.ExitCode)
	}
	next := ""
	if !t.NextAction.IsZero() {
		next = t.NextAction.Local().Format("01-02 15:04")
	}
	state := t.Outcome()
	if t.AlreadyInstalled {
		state = "already installed" // "complete, …" did not fit
	}
	joined := ""
	if !t.Joined.IsZero() {
		// When it became a target: at activation, or when it joined the
		// job's site or query group later.
		joined = t.Joined.Local().Format("01-02 15:04")
	}
	return []string{t.Computer, state, exit, string(t.Reboot), strconv.Itoa(t.Attempts), next, joined, t.LastError}
}

// onRerun offers the job again to the computers that failed it, under a
// new generation: their PCM offers it again, and a finished job becomes
// Active again. The event log says who asked.
func (jd *jobDetails) onRerun() {
	id, n := jd.job.ID, jd.job.Status.TargetsFailed
	msg := fmt.Sprintf("Offer job %s again to the %d computers that failed it? Their Package Command Manager offers it again; a mandatory job runs again by itself.", id, n)
	if n == 1 {
		msg = fmt.Sprintf("Offer job %s again to the computer that failed it? Its Package Command Manager offers it again; a mandatory job runs again by itself.", id)
	}
	dialog.ShowConfirm("Run again on failed computers", msg, func(yes bool) {
		if !yes {
			return
		}
		a := jd.adm
		background(a, jd.ctx, func(ctx context.Context) (adminapi.Rerun, error) {
			r := adminapi.RerunRequest{Job: id, Scope: watchdog.RerunFailed}
			if u, err := user.Current(); err == nil {
				r.By = u.Username
			}
			return a.api.RerunJob(ctx, r)
		}, func(res adminapi.Rerun, err error) {
			if err != nil {
				a.showError(err)
				return
			}
			a.status.setMessage(fmt.Sprintf("Job %s runs again on %d computer(s).", id, res.Computers))
			jd.loadTargets()
		})
	}, jd.adm.win)
}

// readOnlyDetails is the Details tab of a job that can no longer change, as
// readable text.
func (jd *jobDetails) readOnlyDetails(pkgText string) fyne.CanvasObject {
	j := jd.job
	send := sendModes[0]
	if j.Send == model.SendAlways {
		send = sendModes[1]
	}
	dist := distModes[0]
	if j.Distribute.ServerGroup != "" {
		dist = distModes[1] + " " + j.Distribute.ServerGroup
	}
	if j.Distribute.RefreshExisting {
		dist += "; refresh servers that already have it"
	}
	item := func(name, value string) *widget.FormItem {
		return widget.NewFormItem(name, &widget.Label{Text: orNone(value), Wrapping: fyne.TextWrapWord, Selectable: true})
	}
	items := []*widget.FormItem{
		item("Job type", j.Type.Title()),
		item("Package", pkgText),
		item("Target", j.Target.Title()),
		item("Comment", j.Comment),
		item("Send phase", send),
		item("Distribute phase", dist),
	}
	if j.Type == model.JobRun {
		slow := ""
		if j.Run.NotMandatoryOverSlowLinks {
			slow = " (not over slow links)"
		}
		items = append(items,
			item("Command line", j.Run.Command),
			item("Offer after", orText(formatTime(j.Run.OfferAfter), "at once")),
			item("Mandatory after", orText(formatTime(j.Run.MandatoryAfter), "never (optional)")+slow),
			item("Expires after", orText(formatTime(j.Run.ExpiresAfter), "never")),
			item("Deferrals allowed", strconv.Itoa(j.Run.Deferrals)),
		)
	}
	return widget.NewForm(items...)
}

// readOnlySchedule is the Schedule tab of a job that can no longer change.
func (jd *jobDetails) readOnlySchedule() fyne.CanvasObject {
	s := jd.job.Schedule
	label := func(t string) *widget.Label { return &widget.Label{Text: t, Selectable: true} }
	return widget.NewForm(
		widget.NewFormItem("Start after", label(orText(formatTime(s.StartAfter), "at once"))),
		widget.NewFormItem("Priority", label(s.Priority.Title())),
		widget.NewFormItem("Repeat", label(s.Repeat.Title())),
	)
}

func orText(s, none string) string {
	if s == "" {
		return none
	}
	return s
}

func orNone(s string) string { return orText(s, "—") }
