package admin

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"slices"
	"sort"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	adminapi "opensms/core/admin"
	"opensms/core/model"
	"opensms/core/protocol"
)

// changed re-reads the windows that show sites, computers and groups.
func (a *Admin) changed() {
	if a.sites != nil {
		a.sites.reload()
	}
	if a.groups != nil {
		a.groups.reload()
	}
}

// formDialog is a dialog with a form, an error line, Cancel and OK; OK runs
// save, which reports back through done.
type formDialog struct {
	adm     *Admin
	title   string
	errText *widget.Label
	ok      *widget.Button
	dlg     *dialog.CustomDialog
}

func (f *formDialog) open(content fyne.CanvasObject, size fyne.Size, onOK func()) {
	f.errText = errorLabel()
	clearOnEdit(f.errText, content)
	f.ok = &widget.Button{Text: "OK", Importance: widget.HighImportance, OnTapped: onOK}
	f.dlg = dialog.NewCustomWithoutButtons(f.title, container.NewVBox(content, f.errText), f.adm.win)
	f.dlg.SetButtons([]fyne.CanvasObject{&widget.Button{Text: "Cancel", OnTapped: func() { f.dlg.Hide() }}, f.ok})
	f.dlg.Resize(size)
	f.dlg.Show()
}

// store runs put off the UI goroutine; on success the dialog closes and the
// site windows reload, on failure the API's sentence stays in the dialog.
func (f *formDialog) store(what string, put func(context.Context) error) {
	f.ok.Disable()
	background(f.adm, f.adm.ctx, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, put(ctx)
	}, func(_ struct{}, err error) {
		f.ok.Enable()
		if err != nil {
			f.errText.SetText(err.Error())
			return
		}
		f.dlg.Hide()
		f.adm.status.setMessage("Saved " + what + ".")
		f.adm.changed()
	})
}

// fillSites offers the site codes the API lists in sel, after head and
// without except; until they arrive sel offers head and what it shows.
func (f *formDialog) fillSites(sel *widget.Select, head []string, except string) {
	sel.Options = append([]string(nil), head...)
	if sel.Selected != "" && sel.Selected != except && !slices.Contains(sel.Options, sel.Selected) {
		sel.Options = append(sel.Options, sel.Selected)
	}
	background(f.adm, f.adm.ctx, f.adm.api.ListSites, func(sites []model.Site, err error) {
		if err != nil {
			f.errText.SetText(err.Error())
			return
		}
		var codes []string
		for _, s := range sites {
			if s.Code != except {
				codes = append(codes, s.Code)
			}
		}
		sort.Strings(codes)
		sel.Options = append(append([]string(nil), head...), codes...)
		sel.Refresh()
	})
}

// userText shows a stored login as it is typed: DOMAIN\user or user.
func userText(c model.Credentials) string {
	if c.Domain != "" {
		return c.Domain + `\` + c.User
	}
	return c.User
}

// passwordEntry is a password field; a stored password is not shown (the API
// does not send it) and stays unless something is typed.
func passwordEntry(stored model.Secret) *widget.Entry {
	e := widget.NewPasswordEntry()
	if !stored.IsZero() {
		e.PlaceHolder = "(unchanged)"
	}
	return e
}

// credentials is the login as typed; an empty password keeps the stored one.
func credentials(user, password *widget.Entry) adminapi.Credentials {
	return adminapi.Credentials{User: user.Text, Password: adminapi.Password(password.Text), KeepPassword: password.Text == ""}
}

// siteDialog adds or edits a site.
type siteDialog struct {
	formDialog
	site  model.Site
	isNew bool

	code, name, share, user, password *widget.Entry
	parent                            *widget.Select
}

// noParent is the Parent site choice of a root site.
const noParent = "(none)"

func newSiteDialog(a *Admin, s model.Site, isNew bool) *siteDialog {
	title := "Site Properties"
	if isNew {
		title = "New Site"
	}
	return &siteDialog{formDialog: formDialog{adm: a, title: title}, site: s, isNew: isNew}
}

func (d *siteDialog) show() {
	d.code = &widget.Entry{Text: d.site.Code, PlaceHolder: "e.g. S02"}
	if !d.isNew {
		d.code.Disable()
	}
	d.name = &widget.Entry{Text: d.site.Name, PlaceHolder: "e.g. Branch Office"}
	d.parent = &widget.Select{Selected: noParent}
	if d.site.Parent != "" {
		d.parent.Selected = d.site.Parent
	}
	share := d.site.Share
	if share != "" {
		share = displayLocation(share)
	}
	d.share = &widget.Entry{Text: share, PlaceHolder: `\\siteserver\SMS_SITE or smb://host/share or /srv/opensms/site`}
	d.user = &widget.Entry{Text: userText(d.site.Credentials)}
	d.password = passwordEntry(d.site.Credentials.Password)
	d.open(widget.NewForm(
		widget.NewFormItem("Site code", d.code),
		widget.NewFormItem("Name", d.name),
		widget.NewFormItem("Parent site", d.parent),
		widget.NewFormItem("Site share", d.share),
		widget.NewFormItem("User", d.user),
		widget.NewFormItem("Password", d.password),
	), fyne.NewSize(560, 360), d.onOK)
	d.fillSites(d.parent, []string{noParent}, d.site.Code)
}

func (d *siteDialog) onOK() {
	r := adminapi.SiteRequest{Code: d.code.Text, Name: d.name.Text, Share: d.share.Text, Credentials: credentials(d.user, d.password)}
	if d.parent.Selected != noParent {
		r.Parent = d.parent.Selected
	}
	d.store("site "+r.Code, func(ctx context.Context) error {
		var err error
		if d.isNew {
			_, err = d.adm.api.AddSite(ctx, r)
		} else {
			_, err = d.adm.api.UpdateSite(ctx, r)
		}
		return err
	})
}

// serverDialog adds or edits a distribution server, and tests the
// connection off the UI goroutine.
type serverDialog struct {
	formDialog
	srv   model.Server
	isNew bool

	site                      *widget.Select
	name, url, user, password *widget.Entry
	isDefault, signing        *widget.Check
	test                      *widget.Button
	result                    *widget.Label
	testing                   context.CancelFunc
}

func newServerDialog(a *Admin, s model.Server, isNew bool) *serverDialog {
	title := "Distribution Server Properties"
	if isNew {
		title = "New Distribution Server"
	}
	return &serverDialog{formDialog: formDialog{adm: a, title: title}, srv: s, isNew: isNew}
}

func (d *serverDialog) show() {
	d.site = &widget.Select{Selected: d.srv.Site}
	if !d.isNew {
		d.site.Disable()
	}
	d.name = &widget.Entry{Text: d.srv.Name, PlaceHolder: "e.g. dist1"}
	if !d.isNew {
		d.name.Disable()
	}
	u := d.srv.URL
	if u != "" {
		u = displayLocation(u)
	}
	d.url = &widget.Entry{Text: u, PlaceHolder: `\\dist1\SMS_PKG or smb://dist1/SMS_PKG`}
	d.user = &widget.Entry{Text: userText(d.srv.Credentials)}
	d.password = passwordEntry(d.srv.Credentials.Password)
	d.isDefault = &widget.Check{Text: "Default server (jobs put packages here unless told otherwise)", Checked: d.srv.Default || d.isNew}
	d.signing = &widget.Check{Text: "Require SMB signing", Checked: d.srv.RequireSigning}
	d.result = &widget.Label{Wrapping: fyne.TextWrapWord}
	d.test = &widget.Button{Text: "Test connection", OnTapped: d.onTest}
	d.open(container.NewVBox(widget.NewForm(
		widget.NewFormItem("Site", d.site),
		widget.NewFormItem("Name", d.name),
		widget.NewFormItem("Share", d.url),
		widget.NewFormItem("User", d.user),
		widget.NewFormItem("Password", d.password),
		widget.NewFormItem("", d.isDefault),
		widget.NewFormItem("", d.signing),
	), container.NewBorder(nil, nil, d.test, nil, d.result)), fyne.NewSize(600, 440), d.onOK)
	d.dlg.SetOnClosed(func() {
		if d.testing != nil {
			d.testing()
		}
	})
	if d.isNew {
		d.fillSites(d.site, nil, "")
	}
}

// request is the server as the form shows it; what the form does not show
// (encryption) stays as stored.
func (d *serverDialog) request() adminapi.ServerRequest {
	return adminapi.ServerRequest{
		Site: d.site.Selected, Name: d.name.Text, URL: d.url.Text,
		Credentials:    credentials(d.user, d.password),
		Default:        d.isDefault.Checked,
		RequireSigning: d.signing.Checked, RequireEncryption: d.srv.RequireEncryption,
	}
}

func (d *serverDialog) onOK() {
	r := d.request()
	d.store("distribution server "+r.Name, func(ctx context.Context) error {
		var err error
		if d.isNew {
			_, err = d.adm.api.AddServer(ctx, r)
		} else {
			_, err = d.adm.api.UpdateServer(ctx, r)
		}
		return err
	})
}

// onTest has the API connect to the share, list it and write and remove a
// small file, off the UI goroutine, and shows its one sentence.
func (d *serverDialog) onTest() {
	r := d.request()
	ctx, cancel := context.WithCancel(d.adm.ctx)
	d.testing = cancel
	d.test.Disable()
	d.result.Importance = widget.MediumImportance
	d.result.SetText("Connecting to " + displayLocation(r.URL) + "…")
	background(d.adm, d.adm.ctx, func(context.Context) (string, error) {
		defer cancel()
		return d.adm.api.TestServer(ctx, r)
	}, func(msg string, err error) {
		d.test.Enable()
		if err != nil {
			d.result.Importance = widget.DangerImportance
			d.result.SetText(sentence(err.Error()))
			return
		}
		d.result.Importance = widget.SuccessImportance
		d.result.SetText(msg)
	})
}

// computerDialog adds or edits a computer.
type computerDialog struct {
	formDialog
	comp  model.Computer
	isNew bool

	name     *widget.Entry
	site     *widget.Select
	platform *widget.Select
	approve  *widget.Check // only for a computer awaiting approval
}

// approveText is the Approve check of a computer that joined by itself.
const approveText = "Approve: it joined by itself; offer it jobs from now on"

func newComputerDialog(a *Admin, c model.Computer, isNew bool) *computerDialog {
	title := "Computer Properties"
	if isNew {
		title = "New Computer"
	}
	return &computerDialog{formDialog: formDialog{adm: a, title: title}, comp: c, isNew: isNew}
}

// unknownPlatform is the Platform choice of a computer not yet seen.
const unknownPlatform = "(unknown)"

func (d *computerDialog) show() {
	d.name = &widget.Entry{Text: d.comp.Name, PlaceHolder: "e.g. PC0001"}
	if !d.isNew {
		d.name.Disable()
	}
	d.site = &widget.Select{Selected: d.comp.Site}
	plats := []string{unknownPlatform}
	for _, p := range model.Platforms {
		plats = append(plats, string(p))
	}
	d.platform = &widget.Select{Options: plats, Selected: unknownPlatform}
	if d.comp.Platform != "" {
		d.platform.Selected = string(d.comp.Platform)
	}
	items := []*widget.FormItem{
		widget.NewFormItem("Name", d.name),
		widget.NewFormItem("Site", d.site),
		widget.NewFormItem("Platform", d.platform),
	}
	if !d.comp.LastSeen.IsZero() {
		items = append(items, widget.NewFormItem("Last seen", widget.NewLabel(d.comp.LastSeen.Local().Format(timeLayout))))
	}
	size := fyne.NewSize(460, 280)
	if inv := d.comp.Inventory; inv != nil {
		items = append(items, widget.NewFormItem("Inventory", widget.NewLabel(fmt.Sprintf("%s %s/%s, client %s", inv.OSVersion, inv.OS, inv.Arch, inv.ClientVersion))))
		items = append(items, inventoryItems(*inv)...)
		size = fyne.NewSize(560, 560)
	}
	if len(d.comp.PublicKey) == ed25519.PublicKeySize {
		items = append(items, widget.NewFormItem("Key", widget.NewLabel(protocol.Fingerprint(d.comp.PublicKey))))
	}
	if d.comp.AwaitingApproval {
		d.approve = &widget.Check{Text: approveText}
		items = append(items, widget.NewFormItem("Awaiting approval", d.approve))
	}
	d.open(widget.NewForm(items...), size, d.onOK)
	d.fillSites(d.site, nil, "")
}

func (d *computerDialog) onOK() {
	r := adminapi.ComputerRequest{Name: d.name.Text, Site: d.site.Selected}
	if d.platform.Selected != unknownPlatform {
		r.Platform = model.Platform(d.platform.Selected)
	}
	d.store("computer "+model.NormalizeComputerName(r.Name), func(ctx context.Context) error {
		var err error
		if d.isNew {
			_, err = d.adm.api.AddComputer(ctx, r)
		} else {
			_, err = d.adm.api.UpdateComputer(ctx, r)
		}
		if err == nil && d.approve != nil && d.approve.Checked {
			_, err = d.adm.api.ApproveComputer(ctx, r.Name)
		}
		return err
	})
}
