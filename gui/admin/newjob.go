package admin

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"opensms/core/model"
)

// newJobChoice is File → New Job…: the package and the target chosen from
// lists, for keyboard users and screen readers; dragging a package onto the
// Sites tree stays the quick way. Next opens Job Details, where the command
// line, phases and schedule are chosen as after a drop.
type newJobChoice struct {
	adm      *Admin
	pkgs     []model.Package
	targets  map[model.TargetKind][]string
	pkg      *widget.Select
	kind     *widget.RadioGroup
	target   *widget.Select
	errText  *widget.Label
	next     *widget.Button
	dlg      *dialog.CustomDialog
	kindName map[string]model.TargetKind
}

// targetKinds are the kinds a job goes to, as the radio group says them.
var targetKinds = []struct {
	title string
	kind  model.TargetKind
}{{"Site", model.TargetSite}, {"Computer", model.TargetComputer}, {"Machine group", model.TargetGroup}}

// jobChoices is what the API lists for the dialog.
type jobChoices struct {
	pkgs    []model.Package
	targets map[model.TargetKind][]string
}

func (a *Admin) onNewJob() {
	c := &newJobChoice{adm: a, kindName: map[string]model.TargetKind{}}
	c.show()
	background(a, a.ctx, c.list, c.fill)
}

// list reads the packages, sites, computers and machine groups.
func (c *newJobChoice) list(ctx context.Context) (jobChoices, error) {
	api := c.adm.api
	res := jobChoices{targets: map[model.TargetKind][]string{}}
	var err error
	if res.pkgs, err = api.ListPackages(ctx); err != nil {
		return res, err
	}
	sites, err := api.ListSites(ctx)
	if err != nil {
		return res, err
	}
	for _, s := range sites {
		res.targets[model.TargetSite] = append(res.targets[model.TargetSite], s.Code)
	}
	cs, err := api.ListComputers(ctx, "")
	if err != nil {
		return res, err
	}
	for _, cp := range cs {
		res.targets[model.TargetComputer] = append(res.targets[model.TargetComputer], cp.Name)
	}
	gs, err := api.ListGroups(ctx)
	if err != nil {
		return res, err
	}
	for _, g := range gs {
		res.targets[model.TargetGroup] = append(res.targets[model.TargetGroup], g.Name)
	}
	return res, nil
}

func (c *newJobChoice) show() {
	c.pkg = &widget.Select{PlaceHolder: "(reading the packages…)", OnChanged: func(string) { c.check() }}
	var kinds []string
	for _, k := range targetKinds {
		kinds = append(kinds, k.title)
		c.kindName[k.title] = k.kind
	}
	c.target = &widget.Select{PlaceHolder: "(choose a site)", OnChanged: func(string) { c.check() }}
	c.kind = &widget.RadioGroup{Options: kinds, Horizontal: true, Required: true, Selected: kinds[0], OnChanged: func(string) { c.showTargets() }}
	c.errText = errorLabel()
	c.next = &widget.Button{Text: "Next…", Importance: widget.HighImportance, OnTapped: c.onNext}
	c.next.Disable()
	form := widget.NewForm(
		widget.NewFormItem("Package", c.pkg),
		widget.NewFormItem("Send to", c.kind),
		widget.NewFormItem("Target", c.target),
	)
	intro := &widget.Label{Text: "Choose what to send and where; Job Details opens next. (Dragging a package onto a site, computer or group does the same.)", Wrapping: fyne.TextWrapWord}
	c.dlg = dialog.NewCustomWithoutButtons("New Job", container.NewVBox(intro, form, c.errText), c.adm.win)
	c.dlg.SetButtons([]fyne.CanvasObject{&widget.Button{Text: "Cancel", OnTapped: func() { c.dlg.Hide() }}, c.next})
	c.dlg.Resize(fyne.NewSize(560, c.dlg.MinSize().Height))
	c.dlg.Show()
}

// fill offers what the API listed.
func (c *newJobChoice) fill(res jobChoices, err error) {
	if err != nil {
		c.errText.SetText(err.Error())
		return
	}
	c.pkgs, c.targets = res.pkgs, res.targets
	c.pkg.Options = nil
	for _, p := range c.pkgs {
		c.pkg.Options = append(c.pkg.Options, pkgChoice(p))
	}
	c.pkg.PlaceHolder = "(choose a package)"
	if len(c.pkgs) == 0 {
		c.pkg.PlaceHolder = "(no packages yet: File → New makes one)"
	}
	c.pkg.Refresh()
	c.showTargets()
	c.chooseSelected()
}

// chooseSelected starts from what is selected in the Packages and Sites
// windows, as a drop of that package on that node would: pick them, then
// File → New Job… (from the keyboard: Ctrl+N in Jobs).
func (c *newJobChoice) chooseSelected() {
	if pw := c.adm.packages; pw != nil {
		if p, ok := pw.current(); ok {
			for i, q := range c.pkgs {
				if q.ID == p.ID {
					c.pkg.SetSelectedIndex(i)
				}
			}
		}
	}
	sw := c.adm.sites
	if sw == nil {
		return
	}
	t, ok := dropTarget(sw.selected)
	if !ok {
		return
	}
	for _, k := range targetKinds {
		if k.kind == t.Kind {
			c.kind.SetSelected(k.title) // lists that kind's targets
		}
	}
	for _, name := range c.target.Options {
		if name == t.Name {
			c.target.SetSelected(name)
		}
	}
}

func pkgChoice(p model.Package) string {
	return p.ID + " — " + p.Title()
}

// showTargets offers the sites, computers or groups the radio group names.
func (c *newJobChoice) showTargets() {
	kind := c.kindName[c.kind.Selected]
	c.target.ClearSelected()
	c.target.Options = c.targets[kind]
	c.target.PlaceHolder = "(choose a " + kindWord(kind) + ")"
	if c.targets != nil && len(c.target.Options) == 0 {
		c.target.PlaceHolder = "(this site has no " + kindWord(kind) + " yet)"
	}
	c.target.Refresh()
	c.check()
}

func kindWord(k model.TargetKind) string {
	switch k {
	case model.TargetSite:
		return "site"
	case model.TargetComputer:
		return "computer"
	case model.TargetGroup:
		return "machine group"
	}
	return string(k)
}

// check enables Next once a package and a target are chosen.
func (c *newJobChoice) check() {
	if c.pkg.SelectedIndex() >= 0 && c.target.Selected != "" {
		c.next.Enable()
	} else {
		c.next.Disable()
	}
}

func (c *newJobChoice) onNext() {
	i := c.pkg.SelectedIndex()
	if i < 0 || c.target.Selected == "" {
		return
	}
	c.dlg.Hide()
	c.adm.newJob(c.pkgs[i], model.Target{Kind: c.kindName[c.kind.Selected], Name: c.target.Selected})
}
