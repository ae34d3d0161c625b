package admin

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	adminapi "opensms/core/admin"
	"opensms/core/model"
)

// packageProps is SMS's Package Properties dialog: name, version, comment and
// the Workstations…, Sharing… and Inventory… buttons. Nothing is stored until
// OK, and only when the API accepts the package.
type packageProps struct {
	adm      *Admin
	pkg      model.Package // the working copy the sub-dialogs edit
	isNew    bool
	warnings []string
	touched  bool

	name, version, comment *widget.Entry
	summary                *widget.Label
	errText                *widget.Label
	ok, cancel             *widget.Button
	workstations           *widget.Button
	sharing                *widget.Button
	inventory              *widget.Button
	content                *fyne.Container // the body and the error below it
	dlg                    *dialog.CustomDialog
	saving                 bool
	shown                  bool
}

// newPackageProps edits p; a p without ID is a new package. warnings (from
// a Package Definition File import) are shown above the form.
func newPackageProps(a *Admin, p model.Package, warnings []string) *packageProps {
	pp := &packageProps{adm: a, pkg: p, isNew: p.ID == "", warnings: warnings}
	pp.pkg.Commands = append([]model.CommandLine(nil), p.Commands...)
	pp.pkg.Detection = append([]model.DetectionRule(nil), p.Detection...)
	return pp
}

func (pp *packageProps) buildUI() fyne.CanvasObject {
	changed := func(string) { pp.touched = true; pp.check() }
	pp.name = &widget.Entry{Text: pp.pkg.Name, PlaceHolder: "the product's name, e.g. 7-Zip", OnChanged: changed}
	// A placeholder that reads like a value ("1.0") was taken for one and
	// saved empty: hints say "e.g." and what an empty field means.
	pp.version = &widget.Entry{Text: pp.pkg.Version, PlaceHolder: "none yet; e.g. 2.1", OnChanged: changed}
	pp.comment = &widget.Entry{Text: pp.pkg.Comment, MultiLine: true, Wrapping: fyne.TextWrapWord, OnChanged: changed}
	pp.comment.SetMinRowsVisible(3)
	pp.summary = &widget.Label{Wrapping: fyne.TextWrapWord}
	pp.errText = errorLabel()
	pp.workstations = &widget.Button{Text: "Workstations…", OnTapped: pp.onWorkstations}
	pp.sharing = &widget.Button{Text: "Sharing…", OnTapped: pp.onSharing}
	pp.inventory = &widget.Button{Text: "Inventory…", OnTapped: pp.onInventory}
	pp.ok = &widget.Button{Text: "OK", Importance: widget.HighImportance, OnTapped: pp.onOK}
	pp.cancel = &widget.Button{Text: "Cancel", OnTapped: func() { pp.dlg.Hide() }}

	id := pp.pkg.ID
	if id == "" {
		id = "(assigned on OK)"
	}
	form := widget.NewForm(
		widget.NewFormItem("ID", widget.NewLabel(id)),
		widget.NewFormItem("Name", pp.name),
		widget.NewFormItem("Version", pp.version),
		widget.NewFormItem("Comment", pp.comment),
	)
	var top []fyne.CanvasObject
	if len(pp.warnings) > 0 {
		top = append(top, &widget.Label{
			Text:       "The import said:\n• " + strings.Join(pp.warnings, "\n• "),
			Importance: widget.WarningImportance,
			Wrapping:   fyne.TextWrapWord,
		})
	}
	top = append(top, form)
	buttons := container.NewGridWithColumns(3, pp.workstations, pp.sharing, pp.inventory)
	pp.updateSummary()
	// The body scrolls and the error sits below it, so a long import
	// warning or a refusal never runs over Cancel and OK.
	body := container.NewVScroll(container.NewVBox(append(top, widget.NewSeparator(), buttons, pp.summary)...))
	pp.content = container.NewBorder(nil, pp.errText, nil, nil, body)
	return pp.content
}

// setError shows the sentence (or none) and lays the dialog out again: a
// wrapped sentence is taller than the empty label the body was laid out
// around.
func (pp *packageProps) setError(s string) {
	pp.errText.SetText(s)
	pp.content.Refresh()
}

func (pp *packageProps) show() {
	title := "Package Properties"
	if pp.isNew {
		title = "New Package"
	}
	pp.dlg = dialog.NewCustomWithoutButtons(title, pp.buildUI(), pp.adm.win)
	pp.dlg.SetButtons([]fyne.CanvasObject{pp.cancel, pp.ok})
	pp.dlg.Resize(fyne.NewSize(580, 460))
	pp.dlg.SetOnClosed(func() { pp.shown = false })
	pp.shown = true
	pp.dlg.Show()
	pp.adm.win.Canvas().Focus(pp.name)
}

// collect returns the package as the form shows it.
func (pp *packageProps) collect() model.Package {
	p := pp.pkg
	p.Name = strings.TrimSpace(pp.name.Text)
	p.Version = strings.TrimSpace(pp.version.Text)
	p.Comment = strings.TrimSpace(pp.comment.Text)
	return p
}

// check shows the model's sentence for the form as it stands, once the user
// has typed something; OK asks the API, which checks the source too.
func (pp *packageProps) check() {
	if !pp.touched {
		return
	}
	if err := pp.collect().Validate(); err != nil {
		pp.setError(err.Error())
	} else {
		pp.setError("")
	}
}

func (pp *packageProps) updateSummary() {
	p := pp.pkg
	src := p.Source
	if src == "" {
		src = "no source folder yet"
	}
	names := make([]string, len(p.Commands))
	for i, c := range p.Commands {
		names[i] = c.Name
	}
	cmds := "no command lines yet"
	if len(names) > 0 {
		cmds = fmt.Sprintf("%d command line(s): %s", len(names), strings.Join(names, ", "))
	}
	share := ""
	if p.Sharing.ShareName != "" {
		share = "; shared as " + p.Sharing.ShareName
	}
	rules := ""
	if len(p.Detection) > 0 {
		rules = fmt.Sprintf("; %d detection rule(s)", len(p.Detection))
	}
	pp.summary.SetText(fmt.Sprintf("Source: %s; %s%s%s.", src, cmds, share, rules))
}

func (pp *packageProps) onOK() {
	if pp.saving {
		return
	}
	p := pp.collect()
	pp.touched = true
	pp.setError("")
	pp.saving = true
	pp.ok.Disable()
	a := pp.adm
	background(a, a.ctx, func(ctx context.Context) (model.Package, error) {
		if pp.isNew {
			return a.api.AddPackage(ctx, p)
		}
		return a.api.UpdatePackage(ctx, p)
	}, func(saved model.Package, err error) {
		pp.saving = false
		pp.ok.Enable()
		if err != nil {
			pp.setError(err.Error())
			return
		}
		pp.pkg = saved
		pp.dlg.Hide()
		a.status.setMessage(fmt.Sprintf("Package %s (%s) saved.", saved.ID, saved.Title()))
		if a.packages != nil {
			a.packages.reload()
		}
	})
}

// onWorkstations edits the source folder and the command lines.
func (pp *packageProps) onWorkstations() {
	newWorkstations(pp).show()
}

// onSharing edits how a Share Package On Server job shares the package.
func (pp *packageProps) onSharing() {
	share := &widget.Entry{Text: pp.pkg.Sharing.ShareName, PlaceHolder: "e.g. HELLO"}
	sub := &widget.Entry{Text: pp.pkg.Sharing.Subfolder, PlaceHolder: "the folder on the server, e.g. apps\\hello"}
	access := &widget.Entry{Text: pp.pkg.Sharing.Access, PlaceHolder: "e.g. UserRead,GuestRead"}
	form := widget.NewForm(
		widget.NewFormItem("Share name", share),
		widget.NewFormItem("Server subfolder", sub),
		widget.NewFormItem("Access", access),
	)
	d := dialog.NewCustomConfirm("Sharing", "OK", "Cancel", form, func(ok bool) {
		if !ok {
			return
		}
		pp.pkg.Sharing = model.Sharing{
			ShareName: strings.TrimSpace(share.Text),
			Subfolder: strings.TrimSpace(sub.Text),
			Access:    strings.TrimSpace(access.Text),
		}
		pp.updateSummary()
		pp.check()
	}, pp.adm.win)
	// A confirm dialog is as narrow as its title: the fields were 40 px.
	d.Resize(fyne.NewSize(520, d.MinSize().Height))
	d.Show()
}

// onInventory edits the detection rules.
func (pp *packageProps) onInventory() {
	newInventory(pp).show()
}

// workstations is the Workstations… dialog: the source folder and the
// command lines table.
type workstations struct {
	pp     *packageProps
	source *widget.Entry
	// user and password log on to a source on a share; an empty password
	// keeps the one the package has (the site service never sends it).
	user, password *widget.Entry
	commands       []model.CommandLine
	list           *widget.List
	cols           *columns // shared by the command lines' header and rows
	selected       int
	errText        *widget.Label
	add, ok        *widget.Button
	dlg            *dialog.CustomDialog
}

func newWorkstations(pp *packageProps) *workstations {
	return &workstations{pp: pp, selected: -1, commands: append([]model.CommandLine(nil), pp.pkg.Commands...)}
}

func (ws *workstations) buildUI() fyne.CanvasObject {
	ws.source = &widget.Entry{Text: ws.pp.pkg.Source, PlaceHolder: `/srv/packages/hello, \\server\share\hello or smb://user@server/share/hello`}
	ws.user = &widget.Entry{Text: ws.pp.pkg.SourceCredentials.Login(), PlaceHolder: `DOMAIN\user, for a source on a share`}
	pwHint := "for a source on a share"
	if !ws.pp.pkg.SourceCredentials.Password.IsZero() {
		pwHint = "set; type a new one to change it"
	}
	ws.password = &widget.Entry{Password: true, PlaceHolder: pwHint}
	browse := &widget.Button{Text: "Browse…", OnTapped: ws.onBrowse}
	ws.cols = ws.pp.adm.listColumns("commands", "Name", "Command", "Platforms", "Options")
	ws.list = &widget.List{
		Length:     func() int { return len(ws.commands) },
		CreateItem: func() fyne.CanvasObject { return ws.cols.row() },
		UpdateItem: func(id widget.ListItemID, o fyne.CanvasObject) {
			o.(*cellRow).setTexts(commandCells(ws.commands[id]))
		},
		OnSelected:   func(id widget.ListItemID) { ws.selected = id },
		OnUnselected: func(widget.ListItemID) { ws.selected = -1 },
	}
	ws.list.ExtendBaseWidget(ws.list)
	ws.errText = errorLabel()
	ws.add = &widget.Button{Text: "Add…", OnTapped: func() { newCommandDialog(ws, -1).show() }}
	ws.ok = &widget.Button{Text: "OK", Importance: widget.HighImportance, OnTapped: ws.onOK}
	buttons := container.NewHBox(
		ws.add,
		&widget.Button{Text: "Edit…", OnTapped: ws.onEdit},
		&widget.Button{Text: "Remove", OnTapped: ws.onRemove},
	)
	top := container.NewVBox(
		widget.NewForm(
			widget.NewFormItem("Source folder", container.NewBorder(nil, nil, nil, browse, ws.source)),
			widget.NewFormItem("Source user", ws.user),
			widget.NewFormItem("Source password", ws.password),
		),
		widget.NewLabel("Command lines"),
		ws.cols.header(),
	)
	ws.fit()
	clearOnEdit(ws.errText, top)
	return container.NewBorder(top, container.NewVBox(buttons, ws.errText), nil, nil, ws.list)
}

// commandCells is what a command line's row shows, a text a column.
func commandCells(c model.CommandLine) []string {
	auto := ""
	if c.Automated {
		auto = "automated"
	}
	if c.Background {
		auto = strings.TrimPrefix(auto+", background", ", ")
	}
	return []string{c.Name, c.Command, c.PlatformText(), auto}
}

// refresh shows the command lines as they are now.
func (ws *workstations) refresh() {
	ws.fit()
	ws.list.Refresh()
}

func (ws *workstations) fit() {
	ws.cols.fit(len(ws.commands), func(i int) []string { return commandCells(ws.commands[i]) })
}

func (ws *workstations) show() {
	ws.dlg = dialog.NewCustomWithoutButtons("Workstations", ws.buildUI(), ws.pp.adm.win)
	ws.dlg.SetButtons([]fyne.CanvasObject{
		&widget.Button{Text: "Cancel", OnTapped: func() { ws.dlg.Hide() }},
		ws.ok,
	})
	ws.dlg.Resize(fyne.NewSize(760, 460))
	ws.dlg.Show()
}

func (ws *workstations) onBrowse() {
	d := dialog.NewFolderOpen(func(u fyne.ListableURI, err error) {
		if err != nil || u == nil {
			return
		}
		ws.source.SetText(u.Path())
	}, ws.pp.adm.win)
	d.Resize(fyne.NewSize(720, 480))
	d.Show()
}

func (ws *workstations) onEdit() {
	if ws.selected >= 0 && ws.selected < len(ws.commands) {
		newCommandDialog(ws, ws.selected).show()
	}
}

func (ws *workstations) onRemove() {
	if ws.selected < 0 || ws.selected >= len(ws.commands) {
		return
	}
	ws.commands = append(ws.commands[:ws.selected:ws.selected], ws.commands[ws.selected+1:]...)
	ws.list.UnselectAll()
	ws.refresh()
}

// onOK hands the source, its login and the command lines back to Package
// Properties, after the model has checked them. A source on a share is
// connected to at once, through the API, and the dialog stays open with
// the sentence when that fails; the API checks a local folder on OK in
// Package Properties (it must exist where the watchdog packs it, which may
// be another machine).
func (ws *workstations) onOK() {
	// Only this dialog's fields are checked here: the name stands in so
	// that the model speaks about the source and the command lines.
	p := model.Package{
		Name:     "package",
		Source:   strings.TrimSpace(ws.source.Text),
		Commands: append([]model.CommandLine(nil), ws.commands...),
	}
	if err := p.Validate(); err != nil {
		ws.errText.SetText(err.Error())
		return
	}
	cred := model.Credentials{User: strings.TrimSpace(ws.user.Text), Password: ws.pp.pkg.SourceCredentials.Password}
	if ws.password.Text != "" {
		cred.Password = model.NewSecret(ws.password.Text)
	}
	if cred.User == "" && ws.password.Text == "" {
		cred.Password = model.Secret{} // no user, no password: smb://user@ or a local folder
	}
	accept := func() {
		ws.pp.pkg.Source, ws.pp.pkg.Commands, ws.pp.pkg.SourceCredentials = p.Source, p.Commands, cred
		ws.pp.updateSummary()
		ws.pp.check()
		ws.dlg.Hide()
	}
	loc, err := model.ParseLocation(p.Source)
	if err != nil || loc.IsLocal() {
		accept()
		return
	}
	// A password read back from a site service is a mask: the API keeps
	// the stored one.
	r := adminapi.SourceRequest{Package: ws.pp.pkg.ID, Source: p.Source,
		Credentials: adminapi.Credentials{User: cred.User, Password: adminapi.Password(cred.Password.Reveal()), KeepPassword: ws.password.Text == ""}}
	ws.errText.SetText("Connecting to " + loc.UNC() + "…")
	ws.ok.Disable()
	a := ws.pp.adm
	background(a, a.ctx, func(ctx context.Context) (string, error) {
		return a.api.CheckSource(ctx, r)
	}, func(_ string, err error) {
		ws.ok.Enable()
		if err != nil {
			ws.errText.SetText(err.Error())
			return
		}
		ws.errText.SetText("")
		accept()
	})
}

// commandDialog edits one command line.
type commandDialog struct {
	ws    *workstations
	index int // -1: a new command line

	name, command       *widget.Entry
	anyPlatform         *widget.Check // above the platform list; when checked the list is off
	platforms           []*widget.Check
	automated, bg       *widget.Check
	removes             *widget.Check
	success, soft, hard *widget.Entry
	timeout             *widget.Entry
	errText             *widget.Label
	ok                  *widget.Button
	dlg                 *dialog.CustomDialog
}

func newCommandDialog(ws *workstations, index int) *commandDialog {
	return &commandDialog{ws: ws, index: index}
}

func (cd *commandDialog) buildUI() fyne.CanvasObject {
	c := model.CommandLine{Automated: true}
	c.ApplyDefaults()
	if cd.index >= 0 {
		c = cd.ws.commands[cd.index]
	}
	cd.name = &widget.Entry{Text: c.Name, PlaceHolder: "e.g. Install"}
	cd.command = &widget.Entry{Text: c.Command, PlaceHolder: "e.g. sh install.sh"}
	var checks []fyne.CanvasObject
	for _, p := range model.Platforms {
		ch := &widget.Check{Text: string(p)}
		for _, q := range c.Platforms {
			if q == p {
				ch.Checked = true
			}
		}
		cd.platforms = append(cd.platforms, ch)
		checks = append(checks, ch)
	}
	cd.anyPlatform = &widget.Check{Text: "Any platform (every computer, whatever it runs)", Checked: c.AnyPlatform, OnChanged: cd.onAnyPlatform}
	cd.onAnyPlatform(c.AnyPlatform)
	cd.automated = &widget.Check{Text: "Automated (needs no user input)", Checked: c.Automated}
	cd.bg = &widget.Check{Text: "System background task (may run with nobody logged on)", Checked: c.Background}
	cd.removes = &widget.Check{Text: "Removes the package (runs whatever the detection rules say; they must not hold after it)", Checked: c.Removes}
	cd.success = &widget.Entry{Text: formatCodes(c.SuccessCodes), PlaceHolder: "0 (the default)"}
	cd.soft = &widget.Entry{Text: formatCodes(c.SoftRebootCodes), PlaceHolder: "3010 (the default)"}
	cd.hard = &widget.Entry{Text: formatCodes(c.HardRebootCodes), PlaceHolder: "1641 (the default)"}
	cd.timeout = &widget.Entry{Text: formatDuration(c.Timeout), PlaceHolder: "none, or e.g. 30m"}
	cd.errText = errorLabel()
	form := widget.NewForm(
		widget.NewFormItem("Name", cd.name),
		widget.NewFormItem("Command", cd.command),
		widget.NewFormItem("Platforms", container.NewVBox(cd.anyPlatform, container.NewGridWithColumns(3, checks...))),
		widget.NewFormItem("", cd.automated),
		widget.NewFormItem("", cd.bg),
		widget.NewFormItem("", cd.removes),
		widget.NewFormItem("Success codes", cd.success),
		widget.NewFormItem("Soft reboot codes", cd.soft),
		widget.NewFormItem("Hard reboot codes", cd.hard),
		widget.NewFormItem("Time-out", cd.timeout),
	)
	clearOnEdit(cd.errText, form)
	return container.NewVBox(form, cd.errText)
}

func (cd *commandDialog) show() {
	title := "New Command Line"
	if cd.index >= 0 {
		title = "Command Line Properties"
	}
	cd.ok = &widget.Button{Text: "OK", Importance: widget.HighImportance, OnTapped: cd.onOK}
	cd.dlg = dialog.NewCustomWithoutButtons(title, cd.buildUI(), cd.ws.pp.adm.win)
	cd.dlg.SetButtons([]fyne.CanvasObject{
		&widget.Button{Text: "Cancel", OnTapped: func() { cd.dlg.Hide() }},
		cd.ok,
	})
	cd.dlg.Resize(fyne.NewSize(620, 520))
	cd.dlg.Show()
}

func (cd *commandDialog) collect() (model.CommandLine, error) {
	c := model.CommandLine{
		Name:       strings.TrimSpace(cd.name.Text),
		Command:    strings.TrimSpace(cd.command.Text),
		Automated:  cd.automated.Checked,
		Background: cd.bg.Checked,
		Removes:    cd.removes.Checked,
	}
	c.AnyPlatform = cd.anyPlatform.Checked
	for i, ch := range cd.platforms {
		if ch.Checked && !c.AnyPlatform {
			c.Platforms = append(c.Platforms, model.Platforms[i])
		}
	}
	var err error
	if c.SuccessCodes, err = parseCodes("success codes", cd.success.Text); err != nil {
		return c, err
	}
	if c.SoftRebootCodes, err = parseCodes("soft reboot codes", cd.soft.Text); err != nil {
		return c, err
	}
	if c.HardRebootCodes, err = parseCodes("hard reboot codes", cd.hard.Text); err != nil {
		return c, err
	}
	if c.Timeout, err = parseDuration("time-out", cd.timeout.Text); err != nil {
		return c, err
	}
	c.ApplyDefaults()
	return c, c.Validate()
}

// onAnyPlatform turns the platform list off while "Any platform" is
// checked: the two cannot both hold, and the ticks stay for unchecking.
func (cd *commandDialog) onAnyPlatform(on bool) {
	for _, ch := range cd.platforms {
		if on {
			ch.Disable()
		} else {
			ch.Enable()
		}
	}
}

func (cd *commandDialog) onOK() {
	c, err := cd.collect()
	if err == nil {
		// The model's check, with this command line last so that its
		// sentence names it.
		others := slices.Delete(slices.Clone(cd.ws.commands), max(cd.index, 0), max(cd.index+1, 0))
		err = model.ValidCommands(append(others, c))
	}
	if err != nil {
		cd.errText.SetText(err.Error())
		return
	}
	if cd.index >= 0 {
		cd.ws.commands[cd.index] = c
	} else {
		cd.ws.commands = append(cd.ws.commands, c)
	}
	cd.ws.refresh()
	cd.dlg.Hide()
}

// inventory is the Inventory… dialog: rules that tell whether the package is
// already installed.
type inventory struct {
	pp    *packageProps
	rules []model.DetectionRule
	box   *fyne.Container
	logic *widget.Entry // how the rules combine; empty: all must hold
	dlg   *dialog.ConfirmDialog
}

func newInventory(pp *packageProps) *inventory {
	return &inventory{pp: pp, rules: append([]model.DetectionRule(nil), pp.pkg.Detection...)}
}

func (iv *inventory) buildUI() fyne.CanvasObject {
	iv.box = container.NewVBox()
	iv.logic = &widget.Entry{Text: iv.pp.pkg.DetectionLogic, PlaceHolder: "every rule holds; or combine them by number: 1 AND (2 OR NOT 3)"}
	iv.redraw()
	add := &widget.Button{Text: "Add rule", OnTapped: func() {
		iv.rules = append(iv.rules, model.DetectionRule{Kind: model.RuleFileExists})
		if iv.logic.Text != "" {
			iv.logic.SetText(fmt.Sprintf("(%s) AND %d", iv.logic.Text, len(iv.rules)))
		}
		iv.redraw()
	}}
	intro := &widget.Label{Text: "The package counts as installed when its rules hold: every one, or as the expression below combines them. " +
		"Paths may use the client's environment variables: %ProgramFiles%\\App\\app.exe, $HOME/.app.", Wrapping: fyne.TextWrapWord}
	bottom := container.NewVBox(add, widget.NewForm(widget.NewFormItem("Installed when", iv.logic)))
	return container.NewBorder(intro, bottom, nil, nil, container.NewVScroll(iv.box))
}

func (iv *inventory) redraw() {
	var rows []fyne.CanvasObject
	for i := range iv.rules {
		rows = append(rows, iv.ruleRow(i))
	}
	if len(rows) == 0 {
		rows = append(rows, widget.NewLabel("No detection rules."))
	}
	iv.box.Objects = rows
	iv.box.Refresh()
}

func (iv *inventory) show() {
	iv.dlg = dialog.NewCustomConfirm("Inventory", "OK", "Cancel", iv.buildUI(), func(ok bool) {
		if !ok {
			return
		}
		var keep []model.DetectionRule
		for _, r := range iv.rules {
			if r, ok := tidyRule(r); ok {
				keep = append(keep, r)
			}
		}
		iv.pp.pkg.Detection = keep
		iv.pp.pkg.DetectionLogic = strings.TrimSpace(iv.logic.Text)
		iv.pp.updateSummary()
		iv.pp.check()
	}, iv.pp.adm.win)
	iv.dlg.Resize(fyne.NewSize(820, 380))
	iv.dlg.Show()
}

// ruleRow is one rule's line: its kind, the fields that kind uses, and
// Remove. Changing the kind redraws the line with the new kind's fields.
func (iv *inventory) ruleRow(idx int) fyne.CanvasObject {
	r := &iv.rules[idx]
	kinds := make([]string, len(model.RuleKinds))
	for i, k := range model.RuleKinds {
		kinds[i] = string(k)
	}
	kind := &widget.Select{Options: kinds, Selected: string(r.Kind), OnChanged: func(s string) {
		if iv.rules[idx].Kind != model.RuleKind(s) {
			iv.rules[idx].Kind = model.RuleKind(s)
			iv.redraw()
		}
	}}
	entry := func(text, hint string, set func(string)) *widget.Entry {
		return &widget.Entry{Text: text, PlaceHolder: hint, OnChanged: set}
	}
	var fields []fyne.CanvasObject
	var wide fyne.CanvasObject // a field that needs a line of its own
	switch r.Kind {
	case model.RuleRegistry:
		if r.View == "" {
			r.View = model.RegistryView64
		}
		view := &widget.Select{Options: []string{"64-bit", "32-bit"}, Selected: string(r.View) + "-bit", OnChanged: func(s string) {
			iv.rules[idx].View = model.RegistryView(strings.TrimSuffix(s, "-bit"))
		}}
		// A key is long (HKLM\SOFTWARE\WOW6432Node\Microsoft\Windows\
		// CurrentVersion\Uninstall\{GUID}): it takes the rule's whole
		// width, its value, data and view the line below.
		wide = entry(r.Key, `e.g. HKLM\Software\Vendor\App`, func(s string) { iv.rules[idx].Key = s })
		fields = []fyne.CanvasObject{
			entry(r.ValueName, "value name (empty: default)", func(s string) { iv.rules[idx].ValueName = s }),
			entry(r.Value, "data (empty: exists)", func(s string) { iv.rules[idx].Value = s }),
			view,
		}
	case model.RuleMSI:
		fields = []fyne.CanvasObject{
			entry(r.ProductCode, "MSI product code {GUID}", func(s string) { iv.rules[idx].ProductCode = s }),
		}
	default:
		fields = []fyne.CanvasObject{
			entry(r.Path, "path on the client", func(s string) { iv.rules[idx].Path = s }),
			entry(r.Value, "size, sha256 or version", func(s string) { iv.rules[idx].Value = s }),
		}
	}
	remove := &widget.Button{Text: "Remove", OnTapped: func() {
		// The expression names rules by number: take this one out of it.
		if l, err := model.ParseDetectionLogic(iv.logic.Text, len(iv.rules)); err == nil && iv.logic.Text != "" {
			iv.logic.SetText(l.WithoutRule(idx + 1).String())
		}
		iv.rules = append(iv.rules[:idx:idx], iv.rules[idx+1:]...)
		iv.redraw()
	}}
	num := &widget.Label{Text: strconv.Itoa(idx+1) + "."}
	var body fyne.CanvasObject = container.NewGridWithColumns(len(fields), fields...)
	if wide != nil {
		body = container.NewVBox(wide, body)
	}
	return container.NewBorder(nil, nil, container.NewHBox(num, kind), remove, body)
}

// tidyRule keeps what a rule's kind uses, trimmed and written as the model
// wants it (HKEY_LOCAL_MACHINE as HKLM, a product code in braces and upper
// case); ok is false for a rule left empty, which is dropped. What does not
// parse stays as typed, for the package's check to name.
func tidyRule(r model.DetectionRule) (model.DetectionRule, bool) {
	out := model.DetectionRule{Kind: r.Kind}
	switch r.Kind {
	case model.RuleRegistry:
		out.Key, out.ValueName, out.Value, out.View = strings.TrimSpace(r.Key), r.ValueName, r.Value, r.View
		if k, err := model.ParseRegistryKey(out.Key); err == nil {
			out.Key = k
		}
		return out, out.Key != ""
	case model.RuleMSI:
		out.ProductCode = strings.TrimSpace(r.ProductCode)
		if c, err := model.ParseProductCode(out.ProductCode); err == nil {
			out.ProductCode = c
		}
		return out, out.ProductCode != ""
	}
	out.Path, out.Value = strings.TrimSpace(r.Path), strings.TrimSpace(r.Value)
	return out, out.Path != ""
}
